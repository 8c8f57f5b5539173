# `from mlflow.tracking import MlflowClient` and mlflow.tracking.MlflowClient().
import tuitrack as mlflow
import tuitrack.tracking

with mlflow.start_run(run_name="tracked") as run:
    mlflow.log_metric("score", 3.5)
client = tuitrack.tracking.MlflowClient()
data = client.get_run(run.info.run_id).data
print(data.metrics)
assert data.metrics == {"score": 3.5}
