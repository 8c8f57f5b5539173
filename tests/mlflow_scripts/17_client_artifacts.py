# MlflowClient.list_artifacts and download_artifacts.
import os
import tempfile

import tuitrack as mlflow
from tuitrack import MlflowClient

with mlflow.start_run() as run:
    mlflow.log_text("feature importances\n", "reports/importances.txt")
    mlflow.log_dict({"lr": 0.1}, "config.json")
client = MlflowClient()
top = client.list_artifacts(run.info.run_id)
print([(f.path, f.is_dir) for f in top])
assert [(f.path, f.is_dir) for f in top] == [("config.json", False), ("reports", True)]
inner = client.list_artifacts(run.info.run_id, "reports")
assert [f.path for f in inner] == ["reports/importances.txt"] and inner[0].file_size > 0
dst = tempfile.mkdtemp()
local = client.download_artifacts(run.info.run_id, "reports", dst)
assert open(os.path.join(local, "importances.txt")).read() == "feature importances\n"
