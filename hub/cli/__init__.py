"""The command-line interface (``hub``), one module per command group."""
