"""Runs gnll.adapters.numpy in the source tree (installed: ``python -m gnll.adapters.numpy``)."""

import runpy

runpy.run_module("gnll.adapters.numpy", run_name="__main__", alter_sys=True)
