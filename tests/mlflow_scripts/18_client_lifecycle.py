# MlflowClient: delete_run/restore_run, search_experiments, get_experiment.
from tuitrack import MlflowClient
from tuitrack.entities import ViewType

client = MlflowClient()
exp_id = client.create_experiment("lifecycle")
run = client.create_run(exp_id)
client.set_terminated(run.info.run_id, "KILLED")
client.delete_run(run.info.run_id)
assert client.search_runs([exp_id]) == []
assert len(client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == 1
client.restore_run(run.info.run_id)
assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
names = [e.name for e in client.search_experiments()]
assert "lifecycle" in names, names
assert client.get_experiment(exp_id).name == "lifecycle"
