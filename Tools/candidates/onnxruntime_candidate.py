"""Runs gnll.adapters.onnxruntime in the source tree (installed: ``python -m gnll.adapters.onnxruntime``)."""

import runpy

runpy.run_module("gnll.adapters.onnxruntime", run_name="__main__", alter_sys=True)
