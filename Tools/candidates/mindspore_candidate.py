"""Runs gnll.adapters.mindspore in the source tree (installed: ``python -m gnll.adapters.mindspore``)."""

import runpy

runpy.run_module("gnll.adapters.mindspore", run_name="__main__", alter_sys=True)
