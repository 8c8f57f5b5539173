"""Modal screens: confirm, help, key picker, editors for notes, names and tags, path prompt."""
