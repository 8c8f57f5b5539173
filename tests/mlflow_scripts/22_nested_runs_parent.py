# Hyperparameter sweep as nested runs; get_parent_run.
import tuitrack as mlflow

mlflow.set_experiment("nested")
with mlflow.start_run(run_name="sweep") as parent:
    for lr in (0.1, 0.01, 0.001):
        with mlflow.start_run(run_name=f"lr={lr}", nested=True) as child:
            mlflow.log_param("lr", lr)
            mlflow.log_metric("loss", lr * 10)
child_id = child.info.run_id
assert mlflow.get_parent_run(child_id).info.run_id == parent.info.run_id
kids = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
assert len(kids) == 3, kids
