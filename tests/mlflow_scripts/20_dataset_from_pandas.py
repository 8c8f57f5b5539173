# mlflow.data.from_pandas + log_input(dataset, context="training") (MLflow's dataset docs).
import pandas as pd

import tuitrack as mlflow

df = pd.DataFrame({"fixed acidity": [7.4, 7.8, 7.8], "alcohol": [9.4, 9.8, 9.8], "quality": [5, 5, 6]})
dataset = mlflow.data.from_pandas(df, source="winequality-red.csv", name="wine quality - red", targets="quality")
with mlflow.start_run() as run:
    mlflow.log_input(dataset, context="training")

logged = mlflow.get_run(run.info.run_id)
dataset_info = logged.inputs.dataset_inputs[0].dataset
print(f"Dataset name: {dataset_info.name}")
print(f"Dataset digest: {dataset_info.digest}")
print(f"Dataset profile: {dataset_info.profile}")
print(f"Dataset schema: {dataset_info.schema}")
assert dataset_info.name == "wine quality - red"
