"""MLX's gaussian_nll_loss (``mlx.nn.losses.gaussian_nll_loss``), served as a protocol candidate (protocol 2).

Each case calls the loss on ``mx.array`` operands on the CPU; gradients come from
``mx.vjp`` with ``grad_output`` as the cotangent, which is what
``loss.backward(grad_output)`` gives in PyTorch::

    python -m gnll.adapters.mlx
    .venv-mlx/bin/python Tools/candidates/mlx_candidate.py

Only the operands that require grad are ``mx.vjp``'s primals (the others are constants of the
differentiated function, as ``argnums`` leaves them), so a partial request gets what MLX gives
for it. Integer and bool operands go to MLX as ``mx.int32``, ``mx.int64`` and ``mx.bool_``
arrays and MLX promotes them itself. A Python float var (NaN and ±inf included) is passed to MLX
as it is: MLX reads ``vars.shape`` and raises ``AttributeError``, which is reported, like every
MLX error that matches none of PyTorch's kinds, as kind ``other``. MLX checks no sign of var;
its shape errors and its reduction error are mapped to the protocol's kinds.
"""

import mlx.core as mx
import mlx.nn.losses as losses
import numpy as np

from gnll.candidate import (
    Case, Rejection, Result, Tensor, adapter_arguments, declared_features, evaluate_by_vjp, rejection_from, serve,
)

MLX_DTYPES = {
    "float16": mx.float16,
    "bfloat16": mx.bfloat16,
    "float32": mx.float32,
    "float64": mx.float64,
    "int32": mx.int32,
    "int64": mx.int64,
    "bool": mx.bool_,
}
DTYPE_NAMES = {dtype: name for name, dtype in MLX_DTYPES.items()}
OPERANDS = ("input", "target", "var")
# (exception types, kind, test of the message), tried in order; the texts are MLX's own. Any other MLX error is
# reported as kind other by rejection_from.
ERROR_KINDS = (
    (ValueError, "target_size",
     lambda text: text.startswith("Inputs shape") and "does not match targets shape" in text),
    (ValueError, "var_size", lambda text: text.startswith("Inputs shape") and "does not match vars shape" in text),
    (ValueError, "reduction", lambda text: text.startswith("Invalid reduction")),
    (ValueError, "broadcast", lambda text: "cannot be broadcast" in text),
)


def to_mlx(tensor: Tensor) -> mx.array:
    """An MLX array holding a protocol tensor's values in its dtype (bfloat16 values are exact).

    The dtype is given to ``mx.array`` itself: without it a float64 numpy array becomes
    float32. bfloat16 values arrive as float32 and are narrowed exactly.
    """
    values = np.array(tensor.array, copy=True)  # keeps 0-d arrays 0-d
    if tensor.dtype == "bfloat16":
        return mx.array(values, dtype=mx.float32).astype(mx.bfloat16)
    return mx.array(values, dtype=MLX_DTYPES[tensor.dtype])


def to_protocol(values: mx.array) -> Tensor:
    """A protocol tensor from an MLX array (bfloat16 is widened to float32 exactly)."""
    if values.dtype not in DTYPE_NAMES:
        raise TypeError(f"MLX returned an array of dtype {values.dtype}, which the protocol cannot carry")
    name = DTYPE_NAMES[values.dtype]
    wide = values.astype(mx.float32) if name == "bfloat16" else values
    return Tensor(np.array(wide, copy=True), name)


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception MLX raised (kind other where no row matches)."""
    return rejection_from(error, ERROR_KINDS)


def evaluate(case: Case) -> Result:
    """Evaluate one case with MLX (lazy: every result is evaluated inside the error mapping)."""
    names = [name for name in OPERANDS
             if case.grad and getattr(case.requires_grad, name) and isinstance(getattr(case, name), Tensor)]

    def loss_of(values):
        return losses.gaussian_nll_loss(
            values["input"], values["target"], values["var"], full=case.full, eps=case.eps, reduction=case.reduction
        )

    def forward(*operands):
        loss = loss_of(dict(zip(OPERANDS, operands)))
        mx.eval(loss)
        return loss

    def vjp(operands):
        values = dict(zip(OPERANDS, operands))

        def differentiated(*primals):
            return [loss_of({**values, **dict(zip(names, primals))})]

        (loss,), gradients = mx.vjp(differentiated, [values[name] for name in names], [to_mlx(case.grad_output)])
        mx.eval(loss, *gradients)
        found = dict(zip(names, gradients))
        return loss, tuple(found.get(name) for name in OPERANDS)

    operands = [to_mlx(value) if isinstance(value, Tensor) else value for value in (case.input, case.target, case.var)]
    return evaluate_by_vjp(case, operands, forward, vjp, to_protocol, rejection_for)


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__)
    arguments = parser.parse_args()
    mx.set_default_device(mx.cpu)
    serve(
        evaluate,
        name="mlx",
        version=mx.__version__,
        profile=arguments.profile,
        dtypes=list(MLX_DTYPES),
        features=declared_features(arguments, "scalar_var", "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
