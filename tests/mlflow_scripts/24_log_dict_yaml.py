# log_dict to .yaml and .json, log_text.
import tuitrack as mlflow

config = {"model": {"type": "xgboost", "depth": 6}, "features": ["age", "income"], "lr": 0.1, "use_gpu": False}
with mlflow.start_run() as run:
    mlflow.log_dict(config, "config.yaml")
    mlflow.log_dict(config, "config.json")
    mlflow.log_text("precision 0.9\nrecall 0.8\n", "report.txt")
