# log_model(pip_requirements=..., registered_model_name=...) and the requirements files it writes.
import warnings

from sklearn.datasets import load_iris
from sklearn.naive_bayes import GaussianNB

import tuitrack as mlflow

X, y = load_iris(return_X_y=True)
with mlflow.start_run() as run:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = mlflow.sklearn.log_model(GaussianNB().fit(X, y), name="nb",
                                        pip_requirements=["scikit-learn", "numpy"],
                                        registered_model_name="nb-model")
    print([str(w.message) for w in caught])
print(info.model_uri)
