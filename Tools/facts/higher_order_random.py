"""Print PyTorch's hvp and jvp of 72 calls with values that round (not the small dyadic values of the facts), for
the judge's margins: every floating dtype and reduction, a same-shape var, a homoscedastic var and a broadcast
target, eps 1e-6 (var above eps) and 0.5 (most of var below it). Same line format as higher_order_facts.py, whose
`evaluate` and `report` it uses; the values come from integer formulas that the Swift tests rebuild exactly:

    .venv-torch/bin/python Tools/facts/higher_order_random.py > Tools/facts/higher_order_random-2.15.0.txt
"""

import sys
import warnings

import torch

import higher_order_facts as facts


def values(count, seed):
    """((31·seed + 17i² + 7i) mod 97 − 48)/16."""
    return [((31 * seed + 17 * i * i + 7 * i) % 97 - 48) / 16 for i in range(count)]


def variances(count, seed):
    """((13·seed + 11i² + 5i) mod 61 + 1)/32: from 1/32 to 61/32."""
    return [((13 * seed + 11 * i * i + 5 * i) % 61 + 1) / 32 for i in range(count)]


FORMS = {"same": ((3, 4), (3, 4), (3, 4)), "homoscedastic": ((3, 4), (3, 4), (3,)),
         "target_broadcast": ((3, 4), (4,), (3, 4))}


def main():
    warnings.simplefilter("ignore")
    print(f"# torch {torch.__version__}, python {sys.version.split()[0]}")
    seed = 0
    for dtype in facts.FLOATS:
        for reduction in ("none", "mean", "sum"):
            for form, (input_shape, target_shape, var_shape) in FORMS.items():
                for eps in (1e-6, 0.5):
                    seed += 1
                    count = lambda shape: shape[0] * (shape[1] if len(shape) > 1 else 1)  # noqa: E731
                    x = facts.make(values(count(input_shape), seed), dtype, input_shape)
                    t = facts.make(values(count(target_shape), seed + 100), dtype, target_shape)
                    v = facts.make(variances(count(var_shape), seed), dtype, var_shape)
                    facts.report(f"random.{facts.NAMES[dtype]}.{reduction}.{form}.eps={eps!r}",
                                 facts.evaluate(x, t, v, eps=eps, reduction=reduction), facts.HIGHER)


if __name__ == "__main__":
    main()
