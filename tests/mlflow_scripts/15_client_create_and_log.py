# MlflowClient: create an experiment and a run, log a batch, end it.
import time

from tuitrack import MlflowClient
from tuitrack.entities import Metric, Param, RunTag

client = MlflowClient()
experiment_id = client.create_experiment("client-exp", tags={"team": "ml"})
run = client.create_run(experiment_id, run_name="client-run")
run_id = run.info.run_id
timestamp = int(time.time() * 1000)
metrics = [Metric("m", i / 10, timestamp, i) for i in range(5)]
params = [Param("p", "p-value")]
tags = [RunTag("t", "t-value")]
client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
client.log_param(run_id, "alpha", 0.5)
client.log_metric(run_id, "final", 0.93)
client.set_tag(run_id, "release", "candidate")
client.set_terminated(run_id)
run = client.get_run(run_id)
print(run.info.status, run.data.params, run.data.metrics, run.data.tags)
assert run.info.status == "FINISHED"
assert run.info.experiment_id == experiment_id
assert client.get_experiment(experiment_id).tags == {"team": "ml"}
