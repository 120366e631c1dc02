"""Write your own adapter: a minimal numpy candidate (float32/float64, loss only, same-shape var, torch-2.10)."""
import numpy as np

from gnll.candidate import Rejection, Result, Tensor, serve


def evaluate(case):
    """Check the arguments in torch-2.10's order, then compute the loss; the helper does the rest."""
    x, t, var, eps = case.input.array, case.target.array, case.var.array, case.eps
    if np.any(var < 0):
        raise Rejection("negative_var", "var has negative entry/entries")
    if var.shape != x.shape:
        raise Rejection("var_size", "var is of incorrect size")
    if case.reduction not in ("none", "mean", "sum"):
        raise Rejection("reduction", f"{case.reduction} is not valid")
    loss = 0.5 * (np.log(v := np.where(var < eps, eps, var)) + (x - t) ** 2 / v + case.full * np.log(2 * np.pi))
    return Result(Tensor({"none": loss, "mean": np.mean(loss), "sum": np.sum(loss)}[case.reduction], case.input.dtype))


serve(evaluate, name="example", version="0.1", profile="torch-2.10", features=[])
