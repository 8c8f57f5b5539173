# MlflowClient.search_runs (a list of Run) and get_metric_history.
import tuitrack as mlflow
from tuitrack.tracking import MlflowClient

mlflow.set_experiment("history")
with mlflow.start_run() as run:
    for epoch in range(10):
        mlflow.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
client = MlflowClient()
exp = client.get_experiment_by_name("history")
runs = client.search_runs(experiment_ids=[exp.experiment_id], filter_string="metrics.loss < 0.5",
                          order_by=["metrics.loss ASC"], max_results=10)
assert [r.info.run_id for r in runs] == [run.info.run_id]
history = client.get_metric_history(run.info.run_id, "loss")
for m in history:
    print(m.step, m.value, m.timestamp)
assert [m.step for m in history] == list(range(10))
