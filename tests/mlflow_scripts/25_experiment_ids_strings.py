# Experiment ids are strings, as in MLflow.
import tuitrack as mlflow

experiment_id = mlflow.create_experiment("ids-as-strings")
assert isinstance(experiment_id, str), type(experiment_id)
exp = mlflow.get_experiment(experiment_id)
assert exp.experiment_id == experiment_id and exp.name == "ids-as-strings"
mlflow.set_experiment(experiment_id=experiment_id)
with mlflow.start_run() as run:
    mlflow.log_metric("x", 1)
assert run.info.experiment_id == experiment_id
assert mlflow.get_run(run.info.run_id).info.experiment_id == experiment_id
df = mlflow.search_runs(experiment_ids=["0", experiment_id])
assert list(df["experiment_id"]) == [experiment_id]
