# Autolog creates (and ends) a run when fit is called with no active run.
from sklearn.datasets import load_iris
from sklearn.neighbors import KNeighborsClassifier

import tuitrack as mlflow

mlflow.set_experiment("knn")
mlflow.autolog()
X, y = load_iris(return_X_y=True, as_frame=True)
KNeighborsClassifier(n_neighbors=3).fit(X, y)
run = mlflow.last_active_run()
assert run.info.status == "FINISHED", run.info.status
print(run.data.metrics["training_accuracy_score"])
