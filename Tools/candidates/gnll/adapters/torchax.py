"""PyTorch's own gaussian_nll_loss run by torchax on JAX arrays, served as a protocol candidate.

``torchax.interop.jax_view(F.gaussian_nll_loss)`` turns PyTorch's Python function into one that
takes and returns ``jax.Array``s: every ATen op it calls is carried out by torchax's JAX lowering.
Gradients come from ``jax.vjp`` of that function with ``grad_output`` as the cotangent (JAX's
autodiff, not PyTorch's autograd)::

    python -m gnll.adapters.torchax
    .venv-torchax/bin/python Tools/candidates/torchax_candidate.py

torchax's accuracy mode is on (``jax_enable_x64``), so float64 stays float64. The PyTorch in the
venv is what torchax runs, so its version is reported beside torchax's and JAX's. The libraries are imported on the
first eval, so that the hello is answered at once (the suite allows a candidate 10 s to start).
PyTorch's own exceptions come through with PyTorch's messages. A failure to broadcast surfaces
as ``TypeError: unsupported operand type(s) for -: 'Tensor' and 'Tensor'`` (torchax's dispatch
gives up on the operator), which is mapped to ``broadcast``; any other error of torchax or JAX
is reported as kind ``other``, with its type and message.

Protocol 2: only the operands that require grad are ``jax.vjp``'s primals (the others are
constants of the differentiated function, as ``argnums`` leaves them); integer and bool operands
are ``jnp.int32``, ``jnp.int64`` (x64 is on) and ``jnp.bool_`` arrays, promoted by torchax and
JAX themselves; a non-finite eps or scalar var is passed as the Python float it is.
"""

from __future__ import annotations

import re
from importlib import metadata

import numpy as np

from gnll.candidate import Case, Rejection, Result, Tensor, adapter_arguments, declared_features, rejection_from, serve

DTYPES = ("float16", "bfloat16", "float32", "float64", "int32", "int64", "bool")
# torch, JAX and torchax take seconds to import: they are imported on the first eval (load()), so that the
# hello is answered at once; the versions come from the package metadata.
jax = jnp = torchax = JAX_DTYPES = DTYPE_NAMES = gaussian_nll_loss = None
BROADCAST_ERROR = re.compile(
    r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) at non-singleton dimension \d+"
)
# (exception types, kind, test of the message), tried in order: PyTorch's texts, then torchax's and JAX's. An error
# no row matches is reported as kind other (rejection_from).
ERROR_KINDS = (
    (ValueError, "negative_var", lambda text: text == "var has negative entry/entries"),
    (ValueError, "var_size", lambda text: text == "var is of incorrect size"),
    (ValueError, "reduction", lambda text: text.endswith(" is not valid")),
    (RuntimeError, "broadcast", lambda text: BROADCAST_ERROR.search(text) is not None),
    (TypeError, "broadcast", lambda text: text.startswith("unsupported operand type(s) for")),
    ((TypeError, ValueError), "broadcast", lambda text: "Incompatible shapes for broadcasting" in text),
    # PyTorch's own rejections of an integer or bool var (the in-place clamp) and of a bool operand of the
    # subtraction, where torchax lets PyTorch's code raise them.
    (RuntimeError, "type", lambda text: text.startswith("result type") and "can't be cast to the desired" in text),
    ((NotImplementedError, RuntimeError), "type", lambda text: "Subtraction, the `-` operator, with" in text),
    # c10's checked conversion of eps to var's dtype for the clamp.
    (RuntimeError, "type", lambda text: text.startswith("value cannot be converted to type")),
)
OPERANDS = ("input", "target", "var")


def load() -> None:
    """Import torch, JAX and torchax (once), in torchax's accuracy mode on the CPU."""
    global jax, jnp, torchax, JAX_DTYPES, DTYPE_NAMES, gaussian_nll_loss
    if gaussian_nll_loss is not None:
        return
    import jax as jax_module

    jax_module.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp_module
    import torch.nn.functional as F
    import torchax as torchax_module
    from torchax import interop

    torchax_module.enable_accuracy_mode()
    jax, jnp, torchax = jax_module, jnp_module, torchax_module
    JAX_DTYPES = {name: getattr(jnp, "bool_" if name == "bool" else name) for name in DTYPES}
    DTYPE_NAMES = {jnp.dtype(dtype): name for name, dtype in JAX_DTYPES.items()}
    gaussian_nll_loss = interop.jax_view(F.gaussian_nll_loss)


def to_jax(tensor: Tensor) -> jax.Array:
    """A JAX array holding a protocol tensor's values in its dtype (bfloat16 values are exact)."""
    return jnp.asarray(np.array(tensor.array, copy=True), dtype=JAX_DTYPES[tensor.dtype])


def to_protocol(values: jax.Array) -> Tensor:
    """A protocol tensor from a JAX array (bfloat16 is widened to float32 exactly)."""
    if jnp.dtype(values.dtype) not in DTYPE_NAMES:
        raise TypeError(f"torchax returned an array of dtype {values.dtype}, which the protocol cannot carry")
    name = DTYPE_NAMES[jnp.dtype(values.dtype)]
    wide = values.astype(jnp.float32) if name == "bfloat16" else values
    return Tensor(np.array(wide, copy=True), name)


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception raised while running the loss (kind other where no row matches)."""
    return rejection_from(error, ERROR_KINDS)


def evaluate(case: Case) -> Result:
    """Evaluate one case with PyTorch's function on JAX arrays."""
    load()
    operands = {name: to_jax(value) if isinstance(value, Tensor) else value
                for name, value in zip(OPERANDS, (case.input, case.target, case.var))}

    def loss_of(values):
        return gaussian_nll_loss(
            values["input"], values["target"], values["var"], full=case.full, eps=case.eps, reduction=case.reduction
        )

    names = [name for name in OPERANDS
             if case.grad and getattr(case.requires_grad, name) and isinstance(getattr(case, name), Tensor)]
    gradients = ()
    try:
        if not case.grad:
            loss = jax.block_until_ready(loss_of(operands))
        else:
            loss, backward = jax.vjp(
                lambda *primals: loss_of({**operands, **dict(zip(names, primals))}),
                *(operands[name] for name in names),
            )
            # jax.vjp wants the cotangent in the loss's own dtype; a loss dtype that differs from PyTorch's
            # (which grad_output has) is reported through the loss, so the cotangent is cast rather than refused.
            gradients = jax.block_until_ready(backward(to_jax(case.grad_output).astype(loss.dtype)))
    except Exception as error:
        raise rejection_for(error) from error
    found = {f"grad_{name}": to_protocol(gradient) for name, gradient in zip(names, gradients)}
    return Result(loss=to_protocol(loss), **found)


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__)
    arguments = parser.parse_args()
    serve(
        evaluate,
        name="torchax",
        version=", ".join(f"{package} {metadata.version(package)}" for package in ("torchax", "jax", "torch")),
        profile=arguments.profile,
        dtypes=list(DTYPES),
        features=declared_features(arguments, "scalar_var", "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
