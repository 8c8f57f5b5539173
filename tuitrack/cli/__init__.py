"""The ``tuitrack`` command: ``main`` (the click group), ``common`` (shared options), ``runs``, ``curation``."""
