# search_runs([experiment_ids], filter_string=...) and run_view_type with ViewType.
import tuitrack as mlflow
from tuitrack.entities import ViewType

experiment_id = mlflow.create_experiment("positional")
with mlflow.start_run(experiment_id=experiment_id) as keep:
    mlflow.log_metric("loss", 0.2)
with mlflow.start_run(experiment_id=experiment_id) as gone:
    mlflow.log_metric("loss", 0.9)
mlflow.delete_run(gone.info.run_id)

active = mlflow.search_runs([experiment_id], filter_string="metrics.loss < 1")
everything = mlflow.search_runs([experiment_id], "metrics.loss < 1", run_view_type=ViewType.ALL)
deleted = mlflow.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
assert list(active["run_id"]) == [keep.info.run_id]
assert len(everything) == 2
assert list(deleted["run_id"]) == [gone.info.run_id]
