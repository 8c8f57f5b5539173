"""Run curation: ``core`` (tag, rename, note, delete, restore with exact undo) and ``inputs`` (parsing, no store)."""
