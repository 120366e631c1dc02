"""Runs gnll.adapters.torch in the source tree (installed: ``python -m gnll.adapters.torch``)."""

import runpy

runpy.run_module("gnll.adapters.torch", run_name="__main__", alter_sys=True)
