"""See the module docstrings below."""
