# mlflow.data.from_numpy with targets.
import numpy as np

import tuitrack as mlflow

features = np.random.uniform(size=[20, 4])
targets = np.random.randint(0, 2, size=[20])
dataset = mlflow.data.from_numpy(features, targets=targets, source="data/features.npy", name="uniform")
with mlflow.start_run() as run:
    mlflow.log_input(dataset, context="eval")
inp = mlflow.get_run(run.info.run_id).inputs.dataset_inputs[0]
print(inp.dataset.name, inp.dataset.digest, inp.tags[0].key, inp.tags[0].value)
assert inp.tags[0].value == "eval"
