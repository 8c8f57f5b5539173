# MLflow tracking quickstart (classic): params, metrics, an artifact file.
import os
from random import random, randint

import tuitrack as mlflow

if __name__ == "__main__":
    mlflow.log_param("config_value", randint(0, 100))
    mlflow.log_metric("foo", random())
    mlflow.log_metric("foo", random() + 1)
    mlflow.log_metric("foo", random() + 2)
    os.makedirs("outputs", exist_ok=True)
    with open("outputs/test.txt", "w") as f:
        f.write("hello world!")
    mlflow.log_artifacts("outputs")
    mlflow.end_run()
