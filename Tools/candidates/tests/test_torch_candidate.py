"""What only the real-PyTorch candidate does: its declaration, its profile choice, and bfloat16."""

import numpy as np
import pytest
from support import Candidate, decode, eval_request, tensor, torch_command


def test_hello(torch_candidate):
    """torch 2.15 declares itself as pytorch, profile torch-2.10, every dtype and feature."""
    hello = torch_candidate.ask({"op": "hello", "protocol": 1})
    assert hello["name"] == "pytorch" and hello["version"].startswith("2.15")
    assert hello["profile"] == "torch-2.10"
    assert hello["dtypes"] == ["float16", "bfloat16", "float32", "float64"]
    assert hello["features"] == ["grad", "scalar_var", "mixed_dtype"]


def test_profile_override(torch_candidate):
    """--profile replaces the profile derived from the version."""
    with Candidate(torch_command("--profile", "torch-1.9")) as candidate:
        assert candidate.ask({"op": "hello", "protocol": 1})["profile"] == "torch-1.9"
        assert candidate.close() == 0


def test_bfloat16_round_trip(torch_candidate):
    """bfloat16 operands give a bfloat16 loss and gradients; values exact in bfloat16 come back exactly."""
    d = [1.5, -2.0, 0.5]
    ones = tensor([1.0, 1.0, 1.0], "bfloat16")
    request = eval_request(tensor(d, "bfloat16"), tensor([0.0, 0.0, 0.0], "bfloat16"), ones, reduction="none")
    response = torch_candidate.ask(dict(request, grad=True, grad_output=ones))
    for name, expected in [
        ("loss", [1.125, 2.0, 0.125]),
        ("grad_input", d),
        ("grad_target", [-1.5, 2.0, -0.5]),
        ("grad_var", [-0.625, -1.5, 0.375]),
    ]:
        assert response[name]["dtype"] == "bfloat16"
        np.testing.assert_array_equal(decode(response[name]), np.float32(expected))


def test_float16_with_bfloat16_promotes_to_float32(torch_candidate):
    """float16 and bfloat16 operands promote to float32; each gradient keeps its operand's dtype."""
    request = eval_request(tensor([1.0], "float16"), tensor([0.0], "bfloat16"), tensor([1.0], "float16"))
    response = torch_candidate.ask(dict(request, grad=True, grad_output=tensor(1.0, "float32")))
    assert response["loss"]["dtype"] == "float32" and decode(response["loss"]) == np.float32(0.5)
    assert [response[name]["dtype"] for name in ("grad_input", "grad_target", "grad_var")] == [
        "float16",
        "bfloat16",
        "float16",
    ]


def test_float16_left_out_without_a_cpu_clamp_kernel(monkeypatch):
    """torch 2.0 and 1.13 raise '"clamp_min_scalar_cpu" not implemented for 'Half'' for a float16 clamp on the CPU:
    the adapter then declares no float16 (measured on those wheels; simulated here on the installed torch); any
    other error of the probe is not hidden."""
    torch = pytest.importorskip("torch")
    from gnll.adapters import torch as torch_adapter

    integers = ["int32", "int64", "bool"]
    assert torch_adapter.supported_dtypes("cpu") == ["float16", "bfloat16", "float32", "float64"] + integers

    def no_half_kernel(self, *args, **kwargs):
        raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Half\'')

    monkeypatch.setattr(torch.Tensor, "clamp_", no_half_kernel)
    assert torch_adapter.supported_dtypes("cpu") == ["bfloat16", "float32", "float64"] + integers

    def other_failure(self, *args, **kwargs):
        raise RuntimeError("something else")

    monkeypatch.setattr(torch.Tensor, "clamp_", other_failure)
    with pytest.raises(RuntimeError, match="something else"):
        torch_adapter.supported_dtypes("cpu")
