"""hvp and jvp (protocol 2, CONFORMANCE.md section 4): the helper's presence rules, the torch adapter against the
recorded facts of real PyTorch, and the numpy adapter against the torch adapter on random calls.

The facts (``Tools/facts/higher_order_facts-<release>.txt``) were printed by ``Tools/facts/higher_order_facts.py``
with each release; ``higher_order_replay.py`` prints the same facts with every call sent through
``gnll.adapters.torch``, which must reproduce them bit for bit under the same release.
"""

import json
import math
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support import (
    TORCH_INTERPRETERS,
    HELLO_2,
    REPOSITORY,
    Candidate,
    decode,
    eval_request,
    numpy_command,
    scalar,
    tensor,
    torch_command,
    torch_missing_reason,
)

from gnll.candidate import Case, RequiresGrad, Result, Server, Tangents, Tensor

FACTS = REPOSITORY / "Tools" / "facts"
INTERPRETERS = TORCH_INTERPRETERS
REPLAY = Path(__file__).resolve().parent / "higher_order_replay.py"
HELLO_1 = {"op": "hello", "protocol": 1}


def torch_version(python: Path) -> str:
    """The release of an interpreter's torch, without a local suffix (2.15.0+cu132 is 2.15.0)."""
    result = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"], capture_output=True,
                            text=True, check=True)
    return result.stdout.strip().split("+")[0]


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda path: path.parts[-3])
def test_torch_adapter_reproduces_the_facts(python):
    """Every fact of the interpreter's release (gradients, hvp_*, jvp, loss) comes out of the adapter bitwise."""
    reason = torch_missing_reason(python)
    if reason:
        pytest.skip(reason)
    facts = FACTS / f"higher_order_facts-{torch_version(python)}.txt"
    if not facts.exists():
        pytest.skip(f"no facts recorded for torch {torch_version(python)}")
    replay = subprocess.run([str(python), str(REPLAY)], capture_output=True, text=True, check=True, timeout=600)
    recorded = facts.read_text().splitlines()[1:]  # the first line names the torch build and python
    replayed = replay.stdout.splitlines()[1:]
    assert len(recorded) == len(replayed) == 87
    for want, got in zip(recorded, replayed, strict=True):
        assert got == want


# --- the helper: tangents, presence of hvp_* and jvp, the hello --------------------------------------------

def server(features=("grad", "hvp", "jvp"), answer=None) -> Server:
    """A helper conversation with an adapter that returns ``answer(case)`` (default: every output present)."""
    def evaluate(case):
        if answer is not None:
            return answer(case)
        two = Tensor(np.array([1.0, 2.0]), "float32")
        return Result(two, two, two, two, two, two, two, Tensor(np.array(3.0), "float32"))
    return Server(evaluate, name="t", version="1", profile="torch-2.10", dtypes=["float32", "float64"],
                  features=list(features))


def request(hvp=True, jvp=True, flags=(True, False, True), tangents=None, grad=True) -> dict:
    """A float32 [2] request with hvp and jvp; tangents default to one per operand that requires grad."""
    pair = tensor(np.array([0.5, 1.0]), "float32")
    message = eval_request(pair, pair, pair, id=4, reduction="sum", requires_grad=flags if grad else None,
                           grad_output=tensor(np.array(1.0), "float32") if grad else None)
    if tangents is None:
        tangents = {name: pair for name, flag in zip(("input", "target", "var"), flags) if flag}
    message.update({"tangents": tangents}, **({"hvp": True} if hvp else {}), **({"jvp": True} if jvp else {}))
    return message


def answer(conversation: Server, message: dict) -> dict:
    return conversation.answer(json.dumps(message).encode())


def test_helper_sends_hvp_and_jvp_exactly_as_asked():
    conversation = server()
    assert answer(conversation, HELLO_2)["features"] == ["grad", "hvp", "jvp"]
    both = answer(conversation, request())
    assert both["ok"] and {"hvp_input", "hvp_var", "jvp"} <= set(both) and "hvp_target" not in both
    assert decode(both["hvp_var"]).tolist() == [1.0, 2.0] and decode(both["jvp"]).tolist() == 3.0
    only_jvp = answer(conversation, request(hvp=False))
    assert "jvp" in only_jvp and not any(key.startswith("hvp") for key in only_jvp)
    only_hvp = answer(conversation, request(jvp=False, flags=(False, True, False)))
    assert set(only_hvp) == {"id", "ok", "loss", "grad_target", "hvp_target"}
    plain = answer(conversation, {key: value for key, value in request().items()
                                  if key not in ("hvp", "jvp", "tangents")})
    assert not any(key.startswith("hvp") or key == "jvp" for key in plain)


def test_helper_parses_tangents_into_the_case():
    seen = []
    conversation = server(answer=lambda case: seen.append(case) or Result(Tensor(np.array(0.0), "float32")))
    answer(conversation, HELLO_2)
    answer(conversation, request(jvp=False))
    case = seen[0]
    assert isinstance(case, Case) and case.hvp and not case.jvp
    assert isinstance(case.tangents, Tangents) and case.tangents.target is None
    assert case.tangents.input.array.tolist() == [0.5, 1.0] and case.tangents.var.dtype == "float32"
    assert case.requires_grad == RequiresGrad(True, False, True)


@pytest.mark.parametrize("change, fragment", [
    (dict(tangents={}), "tangents.input is missing, but input requires grad"),
    (dict(flags=(True, True, True), tangents={"input": tensor(np.array([0.5, 1.0]), "float32")}),
     "tangents.target is missing"),
    (dict(tangents={name: tensor(np.array([0.5, 1.0]), "float32") for name in ("input", "target", "var")}),
     "tangents.target is present, but target does not require grad"),
    (dict(tangents={"input": tensor(np.array([0.5, 1.0]), "float64"), "var": tensor(np.array([0.5, 1.0]), "float32")}),
     "tangents.input is float64[2], but input is float32[2]"),
    (dict(tangents={"input": tensor(np.array([0.5]), "float32"), "var": tensor(np.array([0.5, 1.0]), "float32")}),
     "tangents.input is float32[1], but input is float32[2]"),
    (dict(tangents=[1]), "tangents is [1], not an object"),
    (dict(grad=False), "hvp is true, but grad is false"),
])
def test_helper_refuses_malformed_tangents(change, fragment):
    conversation = server()
    answer(conversation, HELLO_2)
    response = answer(conversation, request(**change))
    assert response["error"]["kind"] == "bad_request" and fragment in response["error"]["message"], response
    assert response["id"] == 4


def test_helper_refuses_tangents_without_a_flag_and_a_non_boolean_flag():
    conversation = server()
    answer(conversation, HELLO_2)
    assert "tangents without hvp or jvp" in answer(conversation, request(hvp=False, jvp=False))["error"]["message"]
    assert "hvp is 1, not a bool" in answer(conversation, dict(request(), hvp=1))["error"]["message"]


def test_helper_answers_internal_for_a_missing_hvp_or_jvp():
    conversation = server(answer=lambda case: Result(Tensor(np.array(0.0), "float32"),
                                                    *[Tensor(np.zeros(2), "float32")] * 3,
                                                    hvp_input=Tensor(np.zeros(2), "float32")))
    answer(conversation, HELLO_2)
    response = answer(conversation, request())
    assert response["error"]["kind"] == "internal"
    assert "no hvp_var, jvp for a request that asks for it" in response["error"]["message"]


def test_undeclared_features_are_unsupported_and_protocol_1_has_none():
    conversation = server(features=("grad", "hvp"))
    answer(conversation, HELLO_2)
    assert answer(conversation, request(hvp=False))["error"] == {"kind": "unsupported",
                                                                 "message": "jvp is not supported"}
    old = server()
    assert answer(old, HELLO_1)["features"] == ["grad"]
    refused = answer(old, {key: value for key, value in request(flags=(True, True, True)).items()
                           if key != "requires_grad"})
    assert refused["error"]["kind"] == "bad_request" and "hvp needs protocol 2" in refused["error"]["message"]


# --- numpy against torch ---------------------------------------------------------------------------------------

CASES = 300
# Relative to the largest finite magnitude in the output (see compare_outputs). The numpy adapter rounds each
# operation to the loss's dtype as PyTorch does, but PyTorch's double backward and forward-mode AD run their ops
# in another order, so an element may differ by a few roundings of its largest term, which can exceed the
# element itself. Measured over 1000 such random calls per release (2.15.0, 2.9.1, 2.1.2): at most 3.1e-3
# (float16 operands, about 6 float16 units of roundoff), 1.25e-5 (float32) and 9.2e-16 (float64); the tolerances
# leave 6 to 100 times that.
TOLERANCE = {"float16": 2e-2, "float32": 1e-4, "float64": 1e-13}
FLOATING = ("float16", "float32", "float64")
PROFILES = {"2.15.0": "torch-2.10", "2.9.1": "torch-2.6", "2.1.2": "torch-1.9"}


def random_request(rng: random.Random, case_id: int) -> dict:
    """A random accepted call asking for hvp and/or jvp along random tangents, with random operands requiring
    grad. var lies above, at or below eps (so both sides of the forward clamp test are reached), is sometimes NaN,
    and eps is sometimes NaN or infinite."""
    dtypes = [rng.choice(FLOATING) for _ in range(3)]
    if rng.random() < 0.5:
        dtypes = [dtypes[0]] * 3
    integer_target = rng.random() < 0.1
    if integer_target:
        dtypes[1] = "int32"
    shape = rng.choice([(3,), (2, 3), (1,), (2, 1)])
    target_shape = rng.choice([shape, shape, (), shape[1:] or (1,)])
    var_shape = rng.choice([shape, shape, shape[:-1], ()])
    eps = rng.choice([1e-2, 1e-2, 0.25, 1.0, math.nan, math.inf, -math.inf, 0.0])
    small = "float16" in dtypes
    def values(dtype, shape, role):
        count = math.prod(shape)
        if dtype == "int32":
            return tensor(np.array([rng.randint(-2, 2) for _ in range(count)]).reshape(shape), dtype)
        if role == "var":
            pool = [0.25, 1.0, 0.5] + ([] if small else [1e-3, math.nan])
            data = [rng.choice(pool) if rng.random() < 0.4 else rng.uniform(0.25, 2.0) for _ in range(count)]
            if eps in (0.25, 1.0) and rng.random() < 0.5:
                data = [eps if rng.random() < 0.5 else value for value in data]  # exactly at eps
        else:
            data = [rng.choice([0.0, 1.0]) if rng.random() < 0.2 else rng.uniform(-2, 2) for _ in range(count)]
        return tensor(np.array(data, dtype=np.float64).astype(dtype).reshape(shape), dtype)
    input = values(dtypes[0], shape, "input")
    target = values(dtypes[1], target_shape, "target")
    var = scalar(rng.choice([0.5, 2.0])) if rng.random() < 0.1 else values(dtypes[2], var_shape, "var")
    if small and eps < 0.25:
        eps = rng.choice([math.inf, -math.inf, 1e-2, 0.0])
    reduction = rng.choice(["none", "mean", "sum"])
    operands = {"input": input, "target": target, "var": var}
    floating = [name for name, value in operands.items() if value.get("dtype") in FLOATING]
    chosen = set(rng.sample(floating, rng.randint(1, len(floating))))
    message = eval_request(input, target, var, id=case_id, full=rng.random() < 0.3, eps=eps, reduction=reduction,
                           requires_grad=tuple(name in chosen for name in operands))
    message["tangents"] = {
        name: tensor(np.array([rng.choice([1.0, -0.5, 0.25, 2.0, 0.0]) for _ in range(math.prod(value["shape"]))])
                     .reshape(value["shape"]).astype(value["dtype"]), value["dtype"])
        for name, value in operands.items() if name in chosen
    }
    kind = rng.choice(["hvp", "jvp", "both"])
    message.update(hvp=kind != "jvp", jvp=kind != "hvp")
    return message


def with_grad_output(message: dict, loss: dict, rng: random.Random) -> dict:
    """The request with grad true and a random grad_output of the loss's shape and dtype."""
    values = np.array([rng.choice([1.0, -0.5, 2.0]) for _ in range(math.prod(loss["shape"]))])
    return dict(message, grad=True, grad_output=tensor(values.reshape(loss["shape"]), loss["dtype"]))


def compare_outputs(name: str, want: dict, got: dict, tolerance: float) -> None:
    """Same dtype, shape and NaN positions; the finite values within ``tolerance`` of the output's largest
    finite magnitude; an infinity on one side only is a failure."""
    assert (got["dtype"], got["shape"]) == (want["dtype"], want["shape"]), name
    a, b = decode(want).astype(np.float64), decode(got).astype(np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"{name}: NaN positions {a} vs {b}"
    assert np.array_equal(a[np.isinf(a) | np.isinf(b)], b[np.isinf(a) | np.isinf(b)]), f"{name}: {a} vs {b}"
    finite = np.isfinite(a)
    scale = np.max(np.abs(a[finite]), initial=0.0)
    assert np.all(np.abs(a[finite] - b[finite]) <= tolerance * scale), f"{name}: {a} vs {b}"


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda path: path.parts[-3])
def test_numpy_hvp_and_jvp_agree_with_torch(python):
    """The numpy adapter under the release's profile gives PyTorch's hvp and jvp on random calls."""
    reason = torch_missing_reason(python)
    if reason:
        pytest.skip(reason)
    rng = random.Random(20261208)
    compared = {"hvp": 0, "jvp": 0}
    with Candidate(torch_command(python=python)) as torch_candidate:
        hello = torch_candidate.ask(HELLO_2)
        assert {"hvp", "jvp"} <= set(hello["features"]), hello
        with Candidate(numpy_command(hello["profile"])) as numpy_candidate:
            assert {"hvp", "jvp"} <= set(numpy_candidate.ask(HELLO_2)["features"])
            for case_id in range(CASES):
                message = random_request(rng, case_id)
                loss_only = {key: value for key, value in message.items()
                             if key not in ("hvp", "jvp", "tangents", "requires_grad")}
                first = torch_candidate.ask(loss_only)
                if not first["ok"]:
                    continue
                message = with_grad_output(message, first["loss"], rng)
                want, got = torch_candidate.ask(message), numpy_candidate.ask(message)
                context = f"request {message}\ntorch {want}\nnumpy {got}"
                assert want["ok"] and got["ok"], context
                assert sorted(want) == sorted(got), context
                dtypes = [message[n]["dtype"] for n in ("input", "target", "var")
                          if message[n].get("dtype") in FLOATING]
                tolerance = max(TOLERANCE[dtype] for dtype in dtypes)
                for key in want:
                    if key.startswith("hvp") or key == "jvp":
                        compare_outputs(f"{key} of {context}", want[key], got[key], tolerance)
                        compared["hvp" if key.startswith("hvp") else "jvp"] += 1
    assert compared["hvp"] > CASES / 4 and compared["jvp"] > CASES / 4, compared
