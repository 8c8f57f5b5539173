# The lecture's "Reproducibility" block: get a run's params/metrics back and load its model.
import sys

from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

import tuitrack as mlflow

X, y = load_iris(return_X_y=True)
with mlflow.start_run() as active:
    mlflow.log_params({"n_estimators": 100, "max_depth": 10})
    mlflow.log_metrics({"accuracy": 0.82, "auc": 0.87})
    mlflow.sklearn.log_model(DecisionTreeClassifier(max_depth=3).fit(X, y), "model")
run_id = active.info.run_id

# Get run details
run = mlflow.get_run(run_id=run_id)

# Get parameters
params = run.data.params
# {'n_estimators': '100', 'max_depth': '10', ...}

# Get metrics
metrics = run.data.metrics
# {'accuracy': 0.82, 'auc': 0.87}

# Load model
model = mlflow.sklearn.load_model(f"runs:/{run_id}/model")
assert params["max_depth"] == "10" and metrics["auc"] == 0.87
print("predicted", list(model.predict(X[:3])), file=sys.stderr)
