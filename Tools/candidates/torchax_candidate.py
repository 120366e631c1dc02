"""Runs gnll.adapters.torchax in the source tree (installed: ``python -m gnll.adapters.torchax``)."""

import runpy

runpy.run_module("gnll.adapters.torchax", run_name="__main__", alter_sys=True)
