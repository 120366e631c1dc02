"""``torch.compile`` of PyTorch's gaussian_nll_loss (Inductor, CPU), served as a protocol candidate.

Each case calls ``torch.compile(F.gaussian_nll_loss, dynamic=False)`` and, for gradients,
``loss.backward(grad_output)``, so both the forward graph and the backward graph (AOTAutograd) are
compiled by Inductor into C++ kernels (gcc must be installed)::

    python -m gnll.adapters.torch_compile [--plain] [--backend inductor]
    .venv-torch/bin/python Tools/candidates/torch_compile_candidate.py [--plain] [--backend inductor]

The function raises from data-dependent Python control flow (``if torch.any(var < 0)``), which is
a graph break. Dynamo then runs ``torch/nn/functional.py``'s frame eagerly, because it does not
trace torch's own files as top-level frames: a plain ``torch.compile(F.gaussian_nll_loss)``
compiles nothing at all. So by default ``torch._dynamo.config.dont_skip_tracing`` is set, and
the loss after the check is compiled as one graph; ``--plain`` leaves that setting alone (and
measures what an unconfigured user gets: eager PyTorch).

Compiled graphs are cached by Dynamo per (shapes, dtypes, requires_grad, full, eps, reduction):
``dynamic=False`` specialises every call on its shapes. The recompile limit is raised so that
Dynamo never falls back to eager silently (``fail_on_recompile_limit_hit``); Dynamo's caches are
reset every ``RESET_EVERY`` distinct signatures to keep guard checks short (Inductor's on-disk
caches keep recompiling cheap). Errors that Dynamo raises while tracing are mapped to the kind of
the PyTorch error inside them, with Dynamo's message; any other error is reported as kind ``other``.

Protocol 2: only the operands that require grad are made with ``requires_grad=True`` (part of Dynamo's guards, so
each combination is compiled on its own, its backward by AOTAutograd for those operands only); integer and bool
operands are torch tensors of those dtypes; a non-finite eps or scalar var is the Python float it is (a scalar var
and eps are constants of the compiled graph).

Inductor builds each kernel library in place (``gcc -o CACHE/xx/KEY.so``) and reuses any file at that path: a
process killed during a build (``gnll verify`` kills a candidate that times out) leaves a truncated library
that every later process fails to load (``InductorError: ImportError: ....so: file too short``). The adapter
deletes such a library, under Inductor's own lock for it, and compiles again (``findings/torch_compile.md``).
"""

import ast
import logging
import os
import re
from importlib import metadata

from gnll.candidate import Case, Rejection, Result, Tensor, adapter_arguments, declared_features, serve

DTYPES = ("float16", "bfloat16", "float32", "float64", "int32", "int64", "bool")
# torch takes seconds to import: it is imported on the first eval (load()), so that the hello is answered at
# once (the suite allows a candidate 10 s to start).
torch = F = rejection_for = result = to_torch = None

RESET_EVERY = 200
# Dynamo's wording for a failed broadcast found while tracing with fake tensors.
TRACING_ERRORS = (("broadcast", "Attempting to broadcast a dimension"),)
# Dynamo reports an exception raised while tracing as "... got ValueError('message')".
TRACED_EXCEPTION = re.compile(
    r"got (ValueError|RuntimeError|TypeError|AttributeError|IndexError|NotImplementedError)\((.*)\)$", re.M
)
EXCEPTION_TYPES = {
    cls.__name__: cls
    for cls in (ValueError, RuntimeError, TypeError, AttributeError, IndexError, NotImplementedError)
}
# A kernel library in Inductor's cache that does not load (truncated by a killed build).
BROKEN_LIBRARY = re.compile(r"ImportError: (/\S+\.so): ")
REBUILDS = 8


class CompiledLoss:
    """``torch.compile(F.gaussian_nll_loss)``, with Dynamo's caches reset now and then."""

    def __init__(self, backend: str):
        self.backend = backend
        self.signatures = set()
        self.compiled = torch.compile(F.gaussian_nll_loss, backend=backend, dynamic=False)

    def __call__(self, case: Case, input, target, var):
        signature = (
            tuple((tuple(t.shape), t.dtype, t.requires_grad) if isinstance(t, torch.Tensor) else t
                  for t in (input, target, var)),
            case.full, repr(case.eps), case.reduction,
        )
        if signature not in self.signatures and len(self.signatures) >= RESET_EVERY:
            torch._dynamo.reset()
            self.signatures.clear()
        self.signatures.add(signature)
        try:
            return self.compiled(input, target, var, full=case.full, eps=case.eps, reduction=case.reduction)
        except Exception:
            # An exception raised while Dynamo traces (e.g. PyTorch's ValueError for an invalid reduction) makes
            # Dynamo run this function eagerly from then on, even for signatures compiled before: reset, so that
            # the next call is compiled again (findings/torch_compile.md, "Verify runs").
            torch._dynamo.reset()
            self.signatures.clear()
            raise


def rebuilding_broken_libraries(call):
    """``call()``; where Inductor fails to load a library of its cache, delete the library and call again."""
    from torch._inductor.codecache import cache_dir, get_lock_dir
    from torch.utils._filelock import FileLock

    for _ in range(REBUILDS):
        try:
            return call()
        except Exception as error:
            broken = BROKEN_LIBRARY.search(str(error))
            path = broken and os.path.realpath(broken.group(1))
            if not path or not path.startswith(os.path.realpath(cache_dir()) + os.sep) or not os.path.exists(path):
                raise
            key = os.path.basename(path).split(".")[0]
            with FileLock(os.path.join(get_lock_dir(), key + ".lock"), timeout=600):
                os.remove(path)
    return call()


def load(arguments) -> "CompiledLoss":
    """Import and configure torch (once); the compiled loss."""
    global torch, F, rejection_for, result, to_torch
    import torch as torch_module
    import torch._dynamo
    import torch._dynamo.config as dynamo_config
    import torch.nn.functional as functional
    from gnll.adapters import torch as torch_adapter

    torch, F = torch_module, functional
    rejection_for, result, to_torch = torch_adapter.rejection_for, torch_adapter.result, torch_adapter.to_torch
    torch.set_num_threads(1)
    if not arguments.plain:
        dynamo_config.dont_skip_tracing = True
    dynamo_config.recompile_limit = 4 * RESET_EVERY
    dynamo_config.accumulated_recompile_limit = 4 * RESET_EVERY
    dynamo_config.fail_on_recompile_limit_hit = True
    # Dynamo logs every fake-tensor failure (a rejected case) with a traceback at ERROR level.
    logging.getLogger("torch._subclasses.fake_tensor").setLevel(logging.CRITICAL)
    return CompiledLoss(arguments.backend)


def compile_rejection(error: Exception) -> Rejection:
    """The protocol rejection for an exception from compiled code: PyTorch's kind of the exception Dynamo traced,
    and kind other for any other error of Dynamo, AOTAutograd or Inductor."""
    if isinstance(error, torch._dynamo.exc.TorchRuntimeError):
        text = str(error)
        for kind, marker in TRACING_ERRORS:
            if marker in text:
                return Rejection(kind, text.splitlines()[0] + ": " + text[text.index(marker):].split("\n")[0])
        traced = TRACED_EXCEPTION.search(text)
        if traced:
            # PyTorch's own exception, raised while Dynamo traced the call: map it as eager's.
            try:
                inner = EXCEPTION_TYPES[traced.group(1)](ast.literal_eval(traced.group(2)))
                return rejection_for(inner)
            except (ValueError, SyntaxError, RuntimeError, TypeError, AttributeError, IndexError):
                pass
    return rejection_for(error)


def evaluate(case: Case, loss_function: "CompiledLoss") -> Result:
    """Evaluate one case with the compiled loss (forward and backward again if a kernel library was broken)."""
    return rebuilding_broken_libraries(lambda: evaluate_once(case, loss_function))


def evaluate_once(case: Case, loss_function: "CompiledLoss") -> Result:
    """Evaluate one case with the compiled loss, on fresh tensors."""
    requires_grad = case.requires_grad
    input = to_torch(case.input, "cpu", case.grad and requires_grad.input)
    target = to_torch(case.target, "cpu", case.grad and requires_grad.target)
    var = to_torch(case.var, "cpu", case.grad and requires_grad.var) if isinstance(case.var, Tensor) else case.var
    try:
        loss = loss_function(case, input, target, var)
        if case.grad:
            loss.backward(to_torch(case.grad_output, "cpu", False))
    except Exception as error:
        if BROKEN_LIBRARY.search(str(error)):
            raise
        raise compile_rejection(error) from error
    return result(case, loss, input, target, var)


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__)
    parser.add_argument("--backend", default="inductor")
    parser.add_argument("--plain", action="store_true", help="do not set dont_skip_tracing (nothing is compiled)")
    arguments = parser.parse_args()
    loss_functions = []

    def evaluate_lazily(case: Case) -> Result:
        if not loss_functions:
            loss_functions.append(load(arguments))
        return evaluate(case, loss_functions[0])

    serve(
        evaluate_lazily,
        name="torch.compile" + ("" if arguments.backend == "inductor" else f"[{arguments.backend}]")
        + (" (plain)" if arguments.plain else ""),
        version=metadata.version("torch"),
        profile=arguments.profile,
        dtypes=list(DTYPES),
        features=declared_features(arguments, "scalar_var", "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
