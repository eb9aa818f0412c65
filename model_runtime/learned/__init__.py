"""The learned engine at run time: ONNX models run by onnxruntime and numpy (no torch here).

:mod:`.models` loads and checks the shipped networks, :mod:`.streaming` runs the generator chunk by
chunk carrying its LSTM state, :mod:`.style` turns a reference take into a style vector and
:mod:`.engine` puts them together with blinks into a finished clip.
"""
