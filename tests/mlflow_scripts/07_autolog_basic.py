# mlflow.autolog() with a RandomForestRegressor (MLflow's autolog docs).
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split

import tuitrack as mlflow

mlflow.autolog()
db = load_diabetes()
X_train, X_test, y_train, y_test = train_test_split(db.data, db.target)
rf = RandomForestRegressor(n_estimators=20, max_depth=6, max_features=3)
with mlflow.start_run(run_name="autolog-rf"):
    rf.fit(X_train, y_train)
    predictions = rf.predict(X_test)
autolog_run = mlflow.last_active_run()
print(autolog_run.info.run_id)
