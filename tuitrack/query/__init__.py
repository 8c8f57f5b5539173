"""The run filter language (``filter``): parsing and compiling to parameterized SQL, no I/O."""
