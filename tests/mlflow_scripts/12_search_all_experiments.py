# search_runs(search_all_experiments=True, filter_string=..., order_by=...)
import tuitrack as mlflow

for exp_name in ("exp-a", "exp-b"):
    mlflow.set_experiment(exp_name)
    for i in range(3):
        with mlflow.start_run(run_name=f"{exp_name}-{i}"):
            mlflow.log_metric("rmse", 1.0 / (i + 1))
            mlflow.set_tag("stage", "dev" if i < 2 else "prod")

df = mlflow.search_runs(search_all_experiments=True, filter_string="tags.stage = 'dev'",
                        order_by=["metrics.rmse ASC"])
print(df[["tags.mlflow.runName", "metrics.rmse"]])
assert len(df) == 4
assert df["metrics.rmse"].is_monotonic_increasing
