# autolog(log_models=False), then autolog(disable=True).
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import tuitrack as mlflow

X, y = load_iris(return_X_y=True)
mlflow.sklearn.autolog(log_models=False)
with mlflow.start_run(run_name="no-model"):
    LogisticRegression(max_iter=300).fit(X, y)
mlflow.sklearn.autolog(disable=True)
with mlflow.start_run(run_name="disabled"):
    LogisticRegression(max_iter=300).fit(X, y)
