"""Source connectors, one package per source system, each with its mock adapter."""
