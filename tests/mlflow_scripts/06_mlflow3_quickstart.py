# MLflow 3 style: log_model(name=...), model_info.model_id, load by model_uri.
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

import tuitrack as mlflow

X, y = load_diabetes(return_X_y=True, as_frame=True)
mlflow.set_experiment("mlflow3-quickstart")
with mlflow.start_run(run_name="ridge") as run:
    model = Ridge(alpha=0.5).fit(X, y)
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("r2", model.score(X, y))
    model_info = mlflow.sklearn.log_model(model, name="ridge_model", input_example=X.iloc[:3])
print("logged", model_info.model_id, model_info.model_uri)
reloaded = mlflow.sklearn.load_model(model_info.model_uri)
assert abs(reloaded.predict(X.iloc[:1])[0] - model.predict(X.iloc[:1])[0]) < 1e-9
