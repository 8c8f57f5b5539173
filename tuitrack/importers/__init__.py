"""Importers that bring runs from other trackers into a tuitrack store (``tuitrack import ...``)."""

from tuitrack.importers.mlflow import ImportStats, import_mlflow

__all__ = ["ImportStats", "import_mlflow"]
