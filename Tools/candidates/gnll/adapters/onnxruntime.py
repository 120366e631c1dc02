"""ONNX Runtime running PyTorch's gaussian_nll_loss exported with ``torch.onnx``, served as a protocol candidate.

For each signature (operand shapes and dtypes, a scalar var's value, full, eps, reduction) the loss
is exported once with ``torch.onnx.export(..., dynamo=False)`` and run in an
``onnxruntime.InferenceSession`` on the CPU; sessions are cached per signature. Forward only: the
hello declares no ``grad`` feature, so gradient checks are skipped::

    python -m gnll.adapters.onnxruntime
    .venv-onnx/bin/python Tools/candidates/onnxruntime_candidate.py

How the export is done, and why:
- ``dynamo=True`` (torch.export, the default exporter of torch 2.15) cannot export the function:
  ``if torch.any(var < 0)`` is data-dependent control flow and torch.export fails with
  ``GuardOnDataDependentSymNode``. So the TorchScript tracer (``dynamo=False``) is used.
- The model is traced once per signature on fixed example values (input and target 0, var 1), as
  a model is exported once and then deployed: the tracer evaluates the negative-var check on those
  values and leaves it out of the graph. Shape and reduction checks depend on the signature only,
  so PyTorch raises them during the export, and they are answered with PyTorch's kinds (cached).
- Floating dtypes are those whose model ONNX Runtime's CPU provider can run, found by a probe at start. int32,
  int64 and bool (protocol 2) are always declared: the exporter traces PyTorch's promotion of them into the graph
  (its casts), and ONNX Runtime runs it on the integer or bool inputs as they are.
- An error of the export that matches none of PyTorch's kinds, and any error of ONNX Runtime (building the
  session or running it), is reported as kind ``other`` with its type and message: the pipeline's own failure.
"""

from __future__ import annotations

import io
import warnings
from importlib import metadata

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from gnll.candidate import Case, Rejection, Result, Tensor, adapter_arguments, serve

DTYPES = ("float16", "bfloat16", "float32", "float64")
INTEGER_DTYPES = ("int32", "int64", "bool")
ONNX_TYPES = {"float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16, "float32": TensorProto.FLOAT,
              "float64": TensorProto.DOUBLE}
# torch takes seconds to import: it is imported on the first eval (load()), so that the hello is answered at
# once (the suite allows a candidate 10 s to start).
torch = F = Loss = TORCH_DTYPES = rejection_for = None

NUMPY_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64, "int32": np.int32,
                "int64": np.int64, "bool": np.bool_}
OUTPUT_TYPES = {
    "tensor(float16)": "float16",
    "tensor(bfloat16)": "bfloat16",
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(bool)": "bool",
}


def load() -> None:
    """Import torch (once) and define the module that is exported."""
    global torch, F, Loss, TORCH_DTYPES, rejection_for
    if Loss is not None:
        return
    import torch as torch_module
    import torch.nn.functional as functional
    from gnll.adapters import torch as torch_adapter

    torch, F = torch_module, functional
    TORCH_DTYPES, rejection_for = torch_adapter.TORCH_DTYPES, torch_adapter.rejection_for
    torch.set_num_threads(1)

    class GaussianNLLLoss(torch.nn.Module):
        """gaussian_nll_loss with its options (and a scalar var) fixed, as a module to export."""

        def __init__(self, full: bool, eps: float, reduction: str, scalar_var=None):
            super().__init__()
            self.full, self.eps, self.reduction, self.scalar_var = full, eps, reduction, scalar_var

        def forward(self, input, target, var=None):
            var = self.scalar_var if var is None else var
            return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)

    Loss = GaussianNLLLoss


def example(tensor: Tensor, value: float) -> torch.Tensor:
    """A tensor of the protocol tensor's shape and dtype, filled with value."""
    return torch.full(tensor.array.shape, value, dtype=TORCH_DTYPES[tensor.dtype])


class Exporter:
    """Exports the loss per signature and keeps the ONNX Runtime sessions."""

    def __init__(self, opset=None):
        self.opset = opset
        self.sessions = {}
        self.options = ort.SessionOptions()
        self.options.intra_op_num_threads = 1
        self.options.inter_op_num_threads = 1
        self.options.log_severity_level = 3

    def session(self, case: Case):
        """The session for a case's signature, or the Rejection PyTorch raised while exporting it."""
        scalar_var = not isinstance(case.var, Tensor)
        operands = [case.input, case.target] + ([] if scalar_var else [case.var])
        key = (
            tuple((tuple(t.array.shape), t.dtype) for t in operands),
            repr(case.var) if scalar_var else None,
            case.full, repr(case.eps), case.reduction,
        )
        if key not in self.sessions:
            self.sessions[key] = self.export(case, operands, scalar_var)
        return self.sessions[key]

    def export(self, case: Case, operands, scalar_var: bool):
        load()
        module = Loss(case.full, case.eps, case.reduction, case.var if scalar_var else None)
        examples = (example(case.input, 0.0), example(case.target, 0.0)) + (
            () if scalar_var else (example(case.var, 1.0),)
        )
        names = ["input", "target", "var"][: len(examples)]
        buffer = io.BytesIO()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # TracerWarning on the negative-var check, deprecation notes
                torch.onnx.export(
                    module, examples, buffer, dynamo=False, input_names=names, output_names=["loss"],
                    **({} if self.opset is None else {"opset_version": self.opset}),
                )
        except Exception as error:
            return rejection_for(error)
        try:
            return ort.InferenceSession(buffer.getvalue(), self.options, providers=["CPUExecutionProvider"])
        except Exception as error:  # ONNX Runtime cannot load the exported graph (e.g. a kernel it lacks)
            return Rejection("other", f"{type(error).__name__}: {error}")


def to_numpy(tensor: Tensor) -> np.ndarray:
    """The values of a protocol tensor as ONNX Runtime takes them (integers and bools as they are)."""
    if tensor.dtype == "bfloat16":
        import ml_dtypes

        return np.array(tensor.array, dtype=np.float32).astype(ml_dtypes.bfloat16)
    return np.array(tensor.array, dtype=NUMPY_DTYPES[tensor.dtype], copy=True)


def output_dtype(session) -> str:
    """The protocol dtype of the exported model's output."""
    return OUTPUT_TYPES[session.get_outputs()[0].type]


def evaluate(case: Case, exporter: Exporter) -> Result:
    """Evaluate one case with the exported model in ONNX Runtime."""
    session = exporter.session(case)
    if isinstance(session, Rejection):
        raise session
    feeds = {"input": to_numpy(case.input), "target": to_numpy(case.target)}
    if isinstance(case.var, Tensor):
        feeds["var"] = to_numpy(case.var)
    feeds = {i.name: feeds[i.name] for i in session.get_inputs()}  # the tracer drops unused inputs
    try:
        (loss,) = session.run(["loss"], feeds)
    except Exception as error:  # ONNX Runtime fails to run the exported graph on these values
        raise Rejection("other", f"{type(error).__name__}: {error}") from error
    dtype = output_dtype(session)
    return Result(loss=Tensor(np.asarray(loss, dtype=np.float32 if dtype == "bfloat16" else loss.dtype), dtype))


def supported_dtypes() -> list:
    """The dtypes ONNX Runtime's CPU provider runs the exported loss's operators in.

    A probe per dtype, on a small graph of the operators the exporter emits (Clip, Log, Sub, Pow, Div, Add, Mul,
    ReduceMean), built with onnx.helper so that the hello does not wait for torch.
    """
    supported = []
    for name in DTYPES:
        kind = ONNX_TYPES[name]
        scalar = lambda label, value: helper.make_tensor(label, kind, [], [value])  # noqa: E731
        nodes = [
            helper.make_node("Clip", ["x", "eps"], ["v"]),
            helper.make_node("Log", ["v"], ["log"]),
            helper.make_node("Sub", ["x", "x"], ["d"]),
            helper.make_node("Pow", ["d", "two"], ["d2"]),
            helper.make_node("Div", ["d2", "v"], ["q"]),
            helper.make_node("Add", ["log", "q"], ["s"]),
            helper.make_node("Mul", ["s", "half"], ["l"]),
            helper.make_node("ReduceMean", ["l"], ["loss"], keepdims=0),
        ]
        graph = helper.make_graph(
            nodes, "probe", [helper.make_tensor_value_info("x", kind, [2])],
            [helper.make_tensor_value_info("loss", kind, [])],
            initializer=[scalar("eps", 1e-6), scalar("two", 2.0), scalar("half", 0.5)],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        try:
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            session.run(None, {"x": to_numpy(Tensor(np.ones(2, dtype=np.float32), name))})
            supported.append(name)
        except Exception:  # noqa: BLE001 - any failure means the dtype cannot be run
            pass
    return supported


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__, grad=False)
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default: the exporter's)")
    arguments = parser.parse_args()
    exporter = Exporter(arguments.opset)
    serve(
        lambda case: evaluate(case, exporter),
        name="onnxruntime",
        version=f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, exported by torch {metadata.version('torch')}"
        + (f" (opset {arguments.opset})" if arguments.opset else ""),
        profile=arguments.profile,
        dtypes=supported_dtypes() + list(INTEGER_DTYPES),
        features=["scalar_var", "mixed_dtype"],
    )


if __name__ == "__main__":
    main()
