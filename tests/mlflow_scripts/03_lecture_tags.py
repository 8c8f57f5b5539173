# The lecture's "Tags" block, in an experiment.
import tuitrack as mlflow

mlflow.set_experiment("churn-prediction-v1")
with mlflow.start_run(run_name="baseline_rf"):
    mlflow.set_tag("model_type", "random_forest")
    mlflow.set_tag("author", "alice")
    mlflow.set_tag("purpose", "baseline")
