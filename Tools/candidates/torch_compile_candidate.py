"""Runs gnll.adapters.torch_compile in the source tree (installed: ``python -m gnll.adapters.torch_compile``)."""

import runpy

runpy.run_module("gnll.adapters.torch_compile", run_name="__main__", alter_sys=True)
