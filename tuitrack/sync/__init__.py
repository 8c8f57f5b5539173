"""Team sync with an MLflow tracking server over its REST API (issue #14): ``push``, ``pull``.

A library layer used by the CLI and the app; standard library only (``http.client``), never mlflow.
"""
