"""One module per ``python -m model_runtime`` command; each defines ``register(subparsers)``."""
