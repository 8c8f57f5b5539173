# search_runs as a DataFrame: index by column, sort, pick the best (MLflow's search_runs docs).
import tuitrack as mlflow

mlflow.set_experiment("sweep")
for depth, auc in [(4, 0.81), (8, 0.86), (16, 0.84)]:
    with mlflow.start_run(run_name=f"depth-{depth}"):
        mlflow.log_param("max_depth", depth)
        mlflow.log_metric("auc", auc)
        mlflow.log_metric("accuracy", auc - 0.05)

exp = mlflow.get_experiment_by_name("sweep")
runs = mlflow.search_runs(experiment_ids=[exp.experiment_id])
print(runs[["run_id", "metrics.auc", "params.max_depth"]])
best = runs.sort_values("metrics.auc", ascending=False).iloc[0]
print("best", best["tags.mlflow.runName"], best["metrics.auc"])
assert best["params.max_depth"] == "8"
best_id = runs.loc[runs["metrics.accuracy"].idxmax()]["run_id"]
assert best_id == best["run_id"]
assert str(runs["start_time"].dtype).startswith("datetime64")
