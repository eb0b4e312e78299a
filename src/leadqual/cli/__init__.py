"""The ``leadqual`` command line: ``main.py`` parses arguments, one module per command."""
