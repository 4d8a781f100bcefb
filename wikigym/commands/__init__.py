"""CLI verbs: one module per verb, each with `register(app)`. Discovered by `wikigym.cli`."""
