"""Runs gnll.adapters.torch_xla in the source tree (installed: ``python -m gnll.adapters.torch_xla``)."""

import runpy

runpy.run_module("gnll.adapters.torch_xla", run_name="__main__", alter_sys=True)
