# get_artifact_uri, tracking URI helpers, and a model loaded by a local artifact path.
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import tuitrack as mlflow

X, y = load_iris(return_X_y=True)
with mlflow.start_run() as run:
    mlflow.sklearn.log_model(LogisticRegression(max_iter=500).fit(X, y), "clf")
    uri = mlflow.get_artifact_uri("clf")
print(mlflow.get_tracking_uri(), uri)
model = mlflow.pyfunc.load_model(uri)
assert len(model.predict(X[:2])) == 2
