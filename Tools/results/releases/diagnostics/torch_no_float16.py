"""Diagnostic only: gnll.adapters.torch with float16 left out of the hello (float16 cases are skipped)."""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "candidates"))
import torch
import gnll.adapters.torch as tc
from gnll.candidate import serve
torch.set_num_threads(1)
serve(lambda case: tc.evaluate(case, "cpu"), name="pytorch", version=torch.__version__, profile=sys.argv[1],
      dtypes=["bfloat16", "float32", "float64"], features=["grad", "scalar_var", "mixed_dtype"])
