# search_runs(output_format="list") gives Run objects.
import tuitrack as mlflow

mlflow.set_experiment("listing")
for lr in (0.1, 0.01):
    with mlflow.start_run():
        mlflow.log_param("lr", lr)
        mlflow.log_metric("val_loss", lr * 3)
runs = mlflow.search_runs(experiment_names=["listing"], output_format="list",
                          order_by=["metrics.val_loss ASC"], max_results=1)
best = runs[0]
print(best.info.run_id, best.data.params, best.data.metrics)
assert best.data.params["lr"] == "0.01"
