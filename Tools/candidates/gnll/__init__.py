"""gnll, the conformance suite for PyTorch's gaussian_nll_loss, from Python.

- ``gnll.candidate`` is the adapter helper: an adapter is one ``evaluate(case)`` function, and ``serve`` speaks
  the candidate protocol (``Tensor``, ``Result``, ``Rejection``, ...).
- ``gnll.adapters`` holds the ready-made adapters, each runnable as a module (``python -m gnll.adapters.numpy``).
- ``python -m gnll`` (the ``gnll`` command of the installed wheel) runs the suite's binary, which the wheel bundles
  with its golden files.
"""

# The one place the version is set: the Swift build generates `gnll --version` from this line
# (Plugins/VersionFile), and Tools/build_wheel.sh names the wheel after it.
__version__ = "0.1.0"
