"""Runs gnll.adapters.paddle in the source tree (installed: ``python -m gnll.adapters.paddle``)."""

import runpy

runpy.run_module("gnll.adapters.paddle", run_name="__main__", alter_sys=True)
