# Experiment tags: create_experiment(tags=...), set_experiment_tag.
import tuitrack as mlflow

exp_id = mlflow.create_experiment("tagged", tags={"project": "churn"})
mlflow.set_experiment("tagged")
mlflow.set_experiment_tag("owner", "alice")
exp = mlflow.get_experiment(exp_id)
print(exp.tags)
assert exp.tags == {"project": "churn", "owner": "alice"}
