"""Exception types, each naming the problem so a user can fix it.

Every refusal in tuitrack raises one of these; none of them leaves the store
changed.  ``ValidationError`` subclasses ``ValueError`` and the store errors
subclass ``TuitrackError`` so callers can catch broadly or narrowly.
"""

from __future__ import annotations


class TuitrackError(Exception):
    """Base class of every error tuitrack raises on purpose."""


class ValidationError(TuitrackError, ValueError):
    """A key, value or name that tuitrack refuses to store."""


class ParamConflictError(ValidationError):
    """A param re-logged with a different value (params are immutable, as in MLflow)."""


class StoreError(TuitrackError):
    """A problem with the store itself (missing, foreign, corrupt, newer, read-only)."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    pass


class NotATuitrackStoreError(StoreError):
    pass


class StoreVersionError(StoreError):
    pass


class ReadOnlyStoreError(StoreError, PermissionError):
    pass


class StorePermissionError(StoreError, PermissionError):
    """The store folder or its database cannot be read (or searched) by this user."""


class StorageFullError(StoreError, OSError):
    pass


class RunNotFoundError(TuitrackError, LookupError):
    pass


class RunGoneError(RunNotFoundError):
    """A write for a run that no longer exists (purged by ``tuitrack gc`` while it was being logged to)."""


class AmbiguousRunError(TuitrackError, LookupError):
    pass


class NoActiveRunError(TuitrackError, RuntimeError):
    pass


class ActiveRunError(TuitrackError, RuntimeError):
    """start_run() while a run is active without ``nested=True``."""


class MissingPackageError(TuitrackError, ImportError):
    """An optional integration (scikit-learn, pandas, skops ...) is not installed; the message says what to install."""
