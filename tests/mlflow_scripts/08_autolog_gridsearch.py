# sklearn autolog with a parameter search: best params and child runs.
from sklearn import datasets, svm
from sklearn.model_selection import GridSearchCV

import tuitrack as mlflow

mlflow.sklearn.autolog(max_tuning_runs=3)
iris = datasets.load_iris()
parameters = {"kernel": ("linear", "rbf"), "C": [1, 5, 10]}
svc = svm.SVC()
clf = GridSearchCV(svc, parameters, cv=3)
with mlflow.start_run(run_name="grid") as run:
    clf.fit(iris.data, iris.target)
