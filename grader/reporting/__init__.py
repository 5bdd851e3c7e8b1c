"""Turning a pytest run into Gradescope results: the plugin, the scoring rules, the schema,
the terminal table and the results writer."""
