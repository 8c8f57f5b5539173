# The common "find the best run and load its model" idiom.
from sklearn.datasets import load_wine
from sklearn.tree import DecisionTreeClassifier

import tuitrack as mlflow

X, y = load_wine(return_X_y=True)
mlflow.set_experiment("wine")
for depth in (1, 3, 5):
    with mlflow.start_run():
        model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)
        mlflow.log_param("max_depth", depth)
        mlflow.log_metric("train_acc", model.score(X, y))
        mlflow.sklearn.log_model(model, "model")
runs = mlflow.search_runs(experiment_names=["wine"], order_by=["metrics.train_acc DESC"])
best_run_id = runs.iloc[0].run_id
best = mlflow.sklearn.load_model(f"runs:/{best_run_id}/model")
assert best.get_depth() == 5
