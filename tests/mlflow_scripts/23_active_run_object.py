# start_run() without `with`, ActiveRun.info / .data, end_run().
import tuitrack as mlflow

run = mlflow.start_run(run_name="manual")
mlflow.log_param("p", 1)
mlflow.log_metric("m", 2.0)
print("run_id", run.info.run_id, "status", run.info.status, "experiment", run.info.experiment_id)
print("params", run.data.params)
assert run.info.status == "RUNNING"
assert run.data.params == {"p": "1"}
assert mlflow.active_run().info.run_id == run.info.run_id
mlflow.end_run()
assert mlflow.active_run() is None
assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"
