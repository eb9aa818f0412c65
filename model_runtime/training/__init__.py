"""Training of the learned engine (torch lives only here): corpus, datasets, networks, loops, export.

Nothing outside this package imports it; the runtime in :mod:`model_runtime.learned` needs only
the exported ONNX files.
"""
