"""The ready-made adapters, each a protocol candidate run as a module: ``python -m gnll.adapters.NAME``.

``torch`` (real PyTorch) and ``numpy`` (an independent NumPy implementation of every profile), and the libraries
whose findings are in Tools/candidates/findings: ``mlx``, ``paddle``, ``mindspore``, ``onnxruntime``,
``torchax``, ``torch_compile`` and ``torch_xla``. Each needs its library installed (the wheel brings numpy only).
In a source tree, ``Tools/candidates/NAME_candidate.py`` runs the same module.
"""
