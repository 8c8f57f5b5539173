"""What a training script runs: the active-run session, the fluent ``log_*`` API and the run handle.

``session`` (start_run, the active-run stack, configure), ``fluent`` (module-level MLflow-shaped
functions), ``run`` (:class:`~tuitrack.tracking.run.ActiveRun`), ``artifacts``, ``capture`` (environment
capture), ``writer`` (the background metric writer).
"""
