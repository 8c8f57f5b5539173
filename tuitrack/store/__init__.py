"""The run store: the only module that holds SQL.

``core`` (connections, transactions, writes; :class:`~tuitrack.store.core.Store`), ``reads`` (the read
queries mixed into it), ``schema`` (tables and migrations), ``topn`` (best-N by a metric), ``gc``
(purging soft-deleted runs).
"""
