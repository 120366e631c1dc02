public import GaussianNLL

/// Cases written out in full as Python, so that a failure can be pasted into a PyTorch session.
public enum CaseDescription {
    /// The calls of a case as a PyTorch snippet, numbered when there are several.
    public static func python(_ calls: [LossCase], profile: Profile) -> String {
        var lines = ["Case (profile \(profile.rawValue)), as PyTorch code:", "import torch, torch.nn.functional as F"]
        for (index, call) in calls.enumerated() {
            let suffix = calls.count > 1 ? "\(index + 1)" : ""
            if calls.count > 1 { lines.append("# call \(index + 1)") }
            lines += python(call, suffix: suffix)
        }
        return lines.joined(separator: "\n")
    }

    /// One call as PyTorch code; `suffix` tells the variables of several calls apart.
    public static func python(_ call: LossCase, suffix: String = "") -> [String] {
        let grad = call.gradientOperands
        var lines = [
            "input\(suffix) = \(python(call.input, requiresGrad: grad.input))",
            "target\(suffix) = \(python(call.target, requiresGrad: grad.target))",
        ]
        switch call.variance {
        case .tensor(let tensor): lines.append("var\(suffix) = \(python(tensor, requiresGrad: grad.variance))")
        case .scalar(let value): lines.append("var\(suffix) = \(pythonFloat(value))")
        }
        lines.append(
            "loss\(suffix) = F.gaussian_nll_loss(input\(suffix), target\(suffix), var\(suffix), "
                + "full=\(call.full ? "True" : "False"), eps=\(pythonFloat(call.eps)), "
                + "reduction=\(pythonString(call.reduction)))")
        guard let gradOutput = call.gradOutput else { return lines }
        guard let request = call.higherOrder else {
            lines.append("loss\(suffix).backward(\(python(gradOutput, requiresGrad: false)))")
            return lines
        }
        lines += higherOrder(call, request, gradOutput: gradOutput, suffix: suffix)
        return lines
    }

    /// hvp and jvp as `higher_order_facts.py` takes them: `torch.autograd.grad` of the `create_graph` gradients
    /// along the tangents, and `torch.func.jvp` of the loss in the operands that require grad.
    static func higherOrder(
        _ call: LossCase, _ request: HigherOrderRequest, gradOutput: Tensor, suffix: String
    ) -> [String] {
        let wanted = call.gradientOperands
        let operands: [(String, Bool, Tensor?)] = [
            ("input", wanted.input, request.tangents.input), ("target", wanted.target, request.tangents.target),
            ("var", wanted.variance, request.tangents.variance),
        ]
        var lines = [String]()
        var names = [String]()
        var tangents = [String]()
        for (name, isWanted, tangent) in operands where isWanted {
            guard let tangent else { continue }
            names.append(name + suffix)
            tangents.append("tangent_\(name)\(suffix)")
            lines.append("tangent_\(name)\(suffix) = \(python(tangent))")
        }
        let operandList = "[" + names.joined(separator: ", ") + "]"
        let tangentList = "[" + tangents.joined(separator: ", ") + "]"
        lines.append(
            "grads\(suffix) = torch.autograd.grad(loss\(suffix), \(operandList), "
                + "\(python(gradOutput)), create_graph=True)")
        if request.hvp {
            lines.append("hvp\(suffix) = torch.autograd.grad(grads\(suffix), \(operandList), \(tangentList))")
        }
        if request.jvp {
            let arguments = operands.map { name, isWanted, _ in
                isWanted
                    ? name + suffix
                    : (name == "var" && call.variance.tensor == nil ? name + suffix : "\(name)\(suffix).detach()")
            }
            lines.append(
                "jvp\(suffix) = torch.func.jvp(lambda \(names.joined(separator: ", ")): F.gaussian_nll_loss("
                    + "\(arguments.joined(separator: ", ")), full=\(call.full ? "True" : "False"), "
                    + "eps=\(pythonFloat(call.eps)), reduction=\(pythonString(call.reduction))), "
                    + "tuple(x.detach() for x in \(operandList)), tuple(\(tangentList)))[1]")
        }
        return lines
    }

    /// A tensor literal: `torch.tensor([[1.0, 2.0]], dtype=torch.float32)`.
    public static func python(_ tensor: Tensor, requiresGrad: Bool = false) -> String {
        let options = "dtype=torch.\(tensor.dtype.rawValue)" + (requiresGrad ? ", requires_grad=True" : "")
        let dims = tensor.shape.dims
        if dims.contains(0) {
            let extents = dims.map(String.init).joined(separator: ", ") + (dims.count == 1 ? "," : "")
            return "torch.empty((\(extents)), \(options))"
        }
        let text = tensor.values.map { literal($0, dtype: tensor.dtype) }
        return "torch.tensor(\(nested(text[...], dims: dims[...])), \(options))"
    }

    private static func nested(_ values: ArraySlice<String>, dims: ArraySlice<Int>) -> String {
        guard let first = dims.first else { return values.first ?? "0.0" }
        let inner = dims.dropFirst().reduce(1, *)
        let parts = (0..<first).map { index -> String in
            let start = values.startIndex + index * inner
            return nested(values[start..<start + inner], dims: dims.dropFirst())
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    /// The shortest decimal that rounds back to the value in its dtype, as Python reads it.
    static func literal(_ value: Double, dtype: DType) -> String {
        if value.isNaN { return "float('nan')" }
        if value.isInfinite { return value > 0 ? "float('inf')" : "float('-inf')" }
        let text: String
        switch dtype {
        case .float64: text = "\(value)"
        case .float32, .bfloat16: text = "\(Float(value))"
        case .float16: text = "\(Float16(value))"
        case .int32, .int64: text = "\(Int64(value))"
        case .bool: text = value == 0 ? "False" : "True"
        }
        return text
    }

    static func pythonFloat(_ value: Double) -> String {
        literal(value, dtype: .float64)
    }

    static func pythonString(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "'": escaped += "\\'"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    escaped += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return "'" + escaped + "'"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
