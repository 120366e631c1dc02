"""Runs gnll.adapters.mlx in the source tree (installed: ``python -m gnll.adapters.mlx``)."""

import runpy

runpy.run_module("gnll.adapters.mlx", run_name="__main__", alter_sys=True)
