"""MLX's gaussian_nll_loss (``mlx.nn.losses.gaussian_nll_loss``), served as a protocol candidate.

Each case calls the loss on ``mx.array`` operands on the CPU; gradients come from
``mx.vjp`` with ``grad_output`` as the cotangent, which is what
``loss.backward(grad_output)`` gives in PyTorch::

    python -m gnll.adapters.mlx
    .venv-mlx/bin/python Tools/candidates/mlx_candidate.py

MLX takes no Python float var (it reads ``vars.shape``), so ``scalar_var`` is not
declared and such cases are answered ``unsupported``. MLX checks no sign of var;
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
}
DTYPE_NAMES = {dtype: name for name, dtype in MLX_DTYPES.items()}
# (exception types, kind, test of the message), tried in order; the texts are MLX's own.
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
    name = DTYPE_NAMES[values.dtype]
    wide = values.astype(mx.float32) if name == "bfloat16" else values
    return Tensor(np.array(wide, copy=True), name)


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception MLX raised; re-raise anything unexpected."""
    return rejection_from(error, ERROR_KINDS)


def evaluate(case: Case) -> Result:
    """Evaluate one case with MLX (lazy: every result is evaluated inside the error mapping)."""

    def loss_of(input, target, var):
        return losses.gaussian_nll_loss(input, target, var, full=case.full, eps=case.eps, reduction=case.reduction)

    def forward(*operands):
        loss = loss_of(*operands)
        mx.eval(loss)
        return loss

    def vjp(operands):
        (loss,), gradients = mx.vjp(loss_of, list(operands), [to_mlx(case.grad_output)])
        mx.eval(loss, *gradients)
        return loss, gradients

    operands = [to_mlx(case.input), to_mlx(case.target), to_mlx(case.var)]
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
        features=declared_features(arguments, "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
