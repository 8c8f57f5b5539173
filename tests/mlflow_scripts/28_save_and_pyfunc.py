# sklearn.save_model to a folder, pyfunc.load_model from it, predict on a DataFrame.
import os
import tempfile

import pandas as pd
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tuitrack as mlflow

X, y = load_iris(return_X_y=True, as_frame=True)
pipe = make_pipeline(StandardScaler(), SVC()).fit(X, y)
path = os.path.join(tempfile.mkdtemp(), "svc_model")
mlflow.sklearn.save_model(pipe, path, signature=mlflow.models.infer_signature(X, pipe.predict(X)),
                          input_example=X.head(2))
model = mlflow.pyfunc.load_model(path)
print(model.metadata.signature)
pred = model.predict(pd.DataFrame(X.iloc[:5]))
assert list(pred) == list(pipe.predict(X.iloc[:5]))
with mlflow.start_run():
    mlflow.log_artifacts(path, "svc_model")
