"""Protocol 2 against the third-party adapters: a candidate that negotiated protocol 2, and the checks every
library adapter shares (its hello, a partial gradient request). The values are those of support.assert_sum_example,
worked by hand there."""

import math

import numpy as np
from support import HELLO_2, REPOSITORY, Candidate, decode, eval_request, library_missing_reason, python_command, tensor

# input (1, 2), target (0, 0), var (1, 0.5), 'sum': 0.5·(log 1 + 1) + 0.5·(log 0.5 + 4/0.5).
SUM_EXAMPLE_LOSS = 0.5 + 0.5 * (math.log(0.5) + 8.0)


def library_candidate_v2(venv: str, module: str, script: str, requirements: str):
    """A library's candidate after a protocol 2 hello, for a module-scoped fixture (yields the candidate and the
    hello); a skip when the venv is missing."""
    import pytest

    python = REPOSITORY / venv / "bin" / "python"
    if "/" not in requirements:
        requirements = f"Tools/candidates/{requirements}"
    reason = library_missing_reason(python, module, requirements)
    if reason:
        pytest.skip(reason)
    with Candidate(python_command(python, script)) as running:
        answer = running.ask(HELLO_2)
        assert answer["ok"] and answer["protocol"] == 2, answer
        yield running, answer


def integer_request(dtype="int32", **options) -> dict:
    """The sum example with input (1, 2) and target (0, 0) of an integer dtype and a float64 var (1, 0.5): the loss
    is SUM_EXAMPLE_LOSS in float64, as PyTorch promotes it."""
    return eval_request(
        tensor([1, 2], dtype), tensor([0, 0], dtype), tensor([1.0, 0.5]), reduction="sum", **options
    )


def partial_request(input: bool, target: bool, var: bool, **options) -> dict:
    """The float64 sum example asking for the gradients of the operands given as True."""
    return eval_request(
        tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1.0, 0.5]), reduction="sum", grad_output=tensor(1.0),
        requires_grad=(input, target, var), **options,
    )


def assert_partial_gradients(candidate, *, grad_var=(0.0, -7.0)) -> None:
    """Each operand alone, then target and var: exactly the gradients asked for, with the full request's values
    (d/dinput (1, 4), d/dtarget (−1, −4), d/dvar ``grad_var``), and the same loss."""
    expected = {"grad_input": [1.0, 4.0], "grad_target": [-1.0, -4.0], "grad_var": list(grad_var)}
    for flags in ((True, False, False), (False, True, False), (False, False, True), (False, True, True)):
        response = candidate.ask(partial_request(*flags))
        assert response["ok"], response
        np.testing.assert_allclose(decode(response["loss"]), SUM_EXAMPLE_LOSS, rtol=1e-12)
        for name, wanted in zip(("grad_input", "grad_target", "grad_var"), flags):
            if wanted:
                np.testing.assert_allclose(decode(response[name]), expected[name], rtol=1e-12, atol=1e-15)
            else:
                assert response.get(name) is None, (flags, name, response)


def assert_other(candidate, request: dict, exception: str) -> None:
    """The candidate rejects ``request`` with kind other, its message naming the library's exception type."""
    response = candidate.ask(request)
    assert not response["ok"], response
    assert response["error"]["kind"] == "other", response
    assert response["error"]["message"].startswith(exception + ": "), response
