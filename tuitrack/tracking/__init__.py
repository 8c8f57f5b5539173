"""What a training script runs: the active-run session, the fluent ``log_*`` API and the run handle.

``session`` (start_run, the active-run stack, configure), ``fluent`` (module-level MLflow-shaped
functions), ``run`` (:class:`~tuitrack.tracking.run.ActiveRun`), ``artifacts``, ``capture`` (environment
capture), ``writer`` (the background metric writer), ``client`` (MLflow's ``MlflowClient``).
"""

from __future__ import annotations


def __getattr__(name: str) -> object:
    # ``tuitrack.tracking.MlflowClient`` as MLflow spells it, without importing the client eagerly here
    if name == "MlflowClient":
        from tuitrack.tracking.client import MlflowClient

        return MlflowClient
    raise AttributeError(f"module 'tuitrack.tracking' has no attribute {name!r}")
