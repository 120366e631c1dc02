public import Foundation
public import GaussianNLL

/// One line of a `Tools/facts/higher_order_facts-*.txt` file: the call `higher_order_facts.py` makes under that
/// label, rebuilt here, and what PyTorch answered.
public struct HigherOrderFact: Sendable {
    public var label: String
    /// The call, with grad_output, requires_grad and the tangents as the script sets them.
    public var call: LossCase
    /// PyTorch's outputs by name (loss, grad_input, …, hvp_var, jvp); empty when it raised.
    public var outputs: [String: Tensor]
    /// The exception's type when PyTorch raised, else `nil`.
    public var raised: String?

    /// PyTorch's answer as a result: the loss (when the line has it), the gradients, hvp and jvp.
    public var result: LossResult {
        let dtype = outputs["jvp"]?.dtype ?? outputs["loss"]?.dtype ?? .float64
        let loss = outputs["loss"] ?? Tensor.scalar(0, dtype: dtype)
        let gradients = OperandTensors(
            input: outputs["grad_input"], target: outputs["grad_target"], variance: outputs["grad_var"])
        let hvp = OperandTensors(
            input: outputs["hvp_input"], target: outputs["hvp_target"], variance: outputs["hvp_var"])
        return LossResult(
            loss: loss, gradients: gradients.present.any ? gradients : nil, hvp: hvp.present.any ? hvp : nil,
            jvp: outputs["jvp"])
    }
}

/// The facts files of the higher-order derivatives, with the calls rebuilt.
public enum HigherOrderFacts {
    /// The facts files and the profile of the release each was measured on.
    public static let files: [(name: String, profile: Profile)] = [
        ("higher_order_facts-2.15.0.txt", .torch2_10), ("higher_order_facts-2.9.1.txt", .torch2_6),
        ("higher_order_facts-2.1.2.txt", .torch1_9),
    ]

    /// The files of `higher_order_random.py`: 72 calls whose values round, for the judge's margins.
    public static let randomFiles: [(name: String, profile: Profile)] = [
        ("higher_order_random-2.15.0.txt", .torch2_10), ("higher_order_random-2.9.1.txt", .torch2_6),
        ("higher_order_random-2.1.2.txt", .torch1_9),
    ]

    /// Every fact of one file, in its order.
    public static func load(_ name: String, profile: Profile) throws -> [HigherOrderFact] {
        let url = repositoryRoot.appendingPathComponent("Tools/facts/\(name)")
        let calls = Dictionary(uniqueKeysWithValues: makeCalls(profile: profile) + makeRandomCalls(profile: profile))
        var facts = [HigherOrderFact]()
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.range(of: ": ") else { continue }
            let label = String(line[..<colon.lowerBound])
            let outcome = line[colon.upperBound...]
            guard let call = calls[label] else { throw FactError.unknownLabel(label) }
            if outcome.hasPrefix("raises ") {
                let type = outcome.dropFirst("raises ".count).prefix { $0 != ":" }
                facts.append(HigherOrderFact(label: label, call: call, outputs: [:], raised: String(type)))
                continue
            }
            var outputs = [String: Tensor]()
            for part in outcome.components(separatedBy: "; ") {
                guard let equals = part.firstIndex(of: "=") else { continue }
                let key = String(part[..<equals])
                guard let tensor = parseTensor(String(part[part.index(after: equals)...])) else { continue }
                outputs[key] = tensor
            }
            facts.append(HigherOrderFact(label: label, call: call, outputs: outputs, raised: nil))
        }
        return facts
    }

    enum FactError: Error { case unknownLabel(String) }

    /// `dtype[shape] v0 v1 …` with float.hex values.
    public static func parseTensor(_ text: String) -> Tensor? {
        guard let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"),
            let dtype = DType(rawValue: String(text[..<open]))
        else { return nil }
        let dims = text[text.index(after: open)..<close].split(separator: ",").compactMap { Int($0) }
        let values = text[text.index(after: close)...].split(separator: " ").compactMap { Double(String($0)) }
        return try? Tensor(dtype: dtype, shape: Shape(dims), values: values)
    }

    static func make(_ values: [Double], _ dtype: DType, _ shape: Shape) -> Tensor {
        // swift-format-ignore: NeverUseForceTry
        try! Tensor(dtype: dtype, shape: shape, values: values)
    }

    /// `tangent_for`: ((seed·7 + 3i) mod 9 − 4)/4, seed 0, 1, 2 for input, target, var.
    static func tangent(_ tensor: Tensor, seed: Int) -> Tensor {
        make((0..<tensor.elementCount).map { Double((seed * 7 + 3 * $0) % 9 - 4) / 4 }, tensor.dtype, tensor.shape)
    }

    /// `evaluate(...)` of the script: the operands that are floating tensors among `wanted` require grad, each with
    /// its tangent; grad_output is ones (or the values given) in the loss's shape and dtype.
    static func call(
        _ input: Tensor, _ target: Tensor, _ variance: Variance, wanted: RequiresGrad = .all, full: Bool = false,
        eps: Double = 1e-6, reduction: String = "none", gradOutput: [Double]? = nil, profile: Profile
    ) -> LossCase {
        var call = LossCase(
            input: input, target: target, variance: variance, full: full, eps: eps, reduction: reduction)
        guard case .success(let plain) = Reference.evaluate(call, profile: profile) else {
            // PyTorch raised: any grad_output of a scalar shape stands in (the call is rejected before it is read).
            call.gradOutput = .scalar(1, dtype: input.dtype)
            return call
        }
        let loss = plain.loss
        call.gradOutput = make(gradOutput ?? Array(repeating: 1, count: loss.elementCount), loss.dtype, loss.shape)
        call.requiresGrad = wanted
        let operands = call.gradientOperands
        call.requiresGrad = operands
        let tangents = OperandTensors(
            input: operands.input ? tangent(input, seed: 0) : nil,
            target: operands.target ? tangent(target, seed: 1) : nil,
            variance: operands.variance ? variance.tensor.map { tangent($0, seed: 2) } : nil)
        call.higherOrder = HigherOrderRequest(tangents: tangents)
        return call
    }

    /// The calls of `higher_order_random.py`, by label.
    static func makeRandomCalls(profile: Profile) -> [(String, LossCase)] {
        func values(_ count: Int, _ seed: Int) -> [Double] {
            (0..<count).map { i in Double((31 * seed + 17 * i * i + 7 * i) % 97 - 48) / 16 }
        }
        func variances(_ count: Int, _ seed: Int) -> [Double] {
            (0..<count).map { i in Double((13 * seed + 11 * i * i + 5 * i) % 61 + 1) / 32 }
        }
        let forms: [(String, Shape, Shape, Shape)] = [
            ("same", [3, 4], [3, 4], [3, 4]), ("homoscedastic", [3, 4], [3, 4], [3]),
            ("target_broadcast", [3, 4], [4], [3, 4]),
        ]
        var calls = [(String, LossCase)]()
        var seed = 0
        for dtype in [DType.float16, .bfloat16, .float32, .float64] {
            for reduction in ["none", "mean", "sum"] {
                for (form, inputShape, targetShape, varianceShape) in forms {
                    for (eps, text) in [(1e-6, "1e-06"), (0.5, "0.5")] {
                        seed += 1
                        let input = make(values(inputShape.dims.reduce(1, *), seed), dtype, inputShape)
                        let target = make(values(targetShape.dims.reduce(1, *), seed + 100), dtype, targetShape)
                        let variance = make(variances(varianceShape.dims.reduce(1, *), seed), dtype, varianceShape)
                        calls.append(
                            (
                                "random.\(dtype).\(reduction).\(form).eps=\(text)",
                                call(input, target, .tensor(variance), eps: eps, reduction: reduction, profile: profile)
                            ))
                    }
                }
            }
        }
        return calls
    }

    /// Every call of the script, by label.
    static func makeCalls(profile: Profile) -> [(String, LossCase)] {
        var calls = [(String, LossCase)]()
        let f64 = DType.float64
        // clamp
        let x6 = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], f64, [6])
        let t6 = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], f64, [6])
        let v6 = make([0.5, 1e-2, 1e-4, .nan, 0.0, 2.0], f64, [6])
        let epsLabels: [(Double, String)] = [
            (1e-6, "1e-06"), (1e-2, "0.01"), (0, "0.0"), (-1, "-1.0"), (.nan, "nan"), (.infinity, "inf"),
            (-.infinity, "-inf"),
        ]
        for (eps, text) in epsLabels {
            for reduction in ["none", "sum"] {
                calls.append(
                    (
                        "clamp.eps=\(text).\(reduction)",
                        call(x6, t6, .tensor(v6), eps: eps, reduction: reduction, profile: profile)
                    ))
            }
        }
        // dtypes
        for dtype in [DType.float16, .bfloat16, .float32, .float64] {
            for reduction in ["none", "mean", "sum"] {
                for full in [false, true] {
                    for below in [false, true] {
                        let x = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], dtype, [2, 3])
                        let t = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], dtype, [2, 3])
                        let v = make(
                            below ? [0.5, 1.5, 0.25, 3.0, 0.125, 1e-3] : [0.5, 1.5, 0.25, 3.0, 0.125, 4.0], dtype,
                            [2, 3])
                        let label = "dtypes.\(dtype).\(reduction).full=\(full ? 1 : 0).below=\(below ? 1 : 0)"
                        calls.append(
                            (
                                label,
                                call(
                                    x, t, .tensor(v), full: full, eps: below ? 1e-2 : 1e-6, reduction: reduction,
                                    profile: profile)
                            ))
                    }
                }
            }
        }
        calls.append(
            (
                "dtypes.mixed.f32.f16.f64",
                call(
                    make([0.75, -1.5, 0.25], .float32, [3]), make([0.5, 0.5, 0.25], .float16, [3]),
                    .tensor(make([0.5, 1e-3, 0.25], f64, [3])), eps: 1e-2, reduction: "sum", profile: profile)
            ))
        calls.append(
            (
                "dtypes.float16.overflow",
                call(
                    make([3, -2], .float16, [2]), make([0, 0], .float16, [2]),
                    .tensor(make([1e-2, 1e-3], .float16, [2])),
                    eps: 1e-3, reduction: "sum", profile: profile)
            ))
        // shapes
        let x = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], f64, [2, 3])
        let t = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], f64, [2, 3])
        let v23 = make([0.5, 1.5, 0.25, 3.0, 0.125, 4.0], f64, [2, 3])
        calls.append(
            (
                "shapes.var_unsqueezed",
                call(x, t, .tensor(make([0.5, 1e-4], f64, [2])), eps: 1e-2, reduction: "sum", profile: profile)
            ))
        calls.append(
            (
                "shapes.var_n1",
                call(x, t, .tensor(make([0.5, 1e-4], f64, [2, 1])), eps: 1e-2, reduction: "mean", profile: profile)
            ))
        calls.append(
            ("shapes.target_broadcast", call(x, make([0.5, -0.5, 1.0], f64, [3]), .tensor(v23), profile: profile)))
        calls.append(
            (
                "shapes.var_0d",
                call(
                    make([0.75, -1.5], f64, [2]), make([0.5, 0.5], f64, [2]), .tensor(make([0.25], f64, [])),
                    reduction: "sum", profile: profile)
            ))
        calls.append(
            (
                "shapes.empty",
                call(
                    make([], f64, [0, 3]), make([], f64, [0, 3]), .tensor(make([], f64, [0, 3])), reduction: "mean",
                    profile: profile)
            ))
        calls.append(
            (
                "shapes.grad_output",
                call(x, t, .tensor(v23), gradOutput: [1.0, -2.0, 0.5, 0.0, 3.0, -0.25], profile: profile)
            ))
        // subsets
        let vs = make([0.5, 1.5, 1e-4, 3.0, 0.125, 4.0], f64, [2, 3])
        let subsets: [(String, RequiresGrad)] = [
            ("input", RequiresGrad(input: true, target: false, variance: false)),
            ("target", RequiresGrad(input: false, target: true, variance: false)),
            ("var", RequiresGrad(input: false, target: false, variance: true)),
            ("input+target", RequiresGrad(input: true, target: true, variance: false)),
            ("input+var", RequiresGrad(input: true, target: false, variance: true)),
            ("target+var", RequiresGrad(input: false, target: true, variance: true)),
        ]
        for reduction in ["none", "mean"] {
            calls.append(
                ("subsets.all.\(reduction)", call(x, t, .tensor(vs), eps: 1e-2, reduction: reduction, profile: profile))
            )
            for (name, wanted) in subsets {
                calls.append(
                    (
                        "subsets.\(name).\(reduction)",
                        call(x, t, .tensor(vs), wanted: wanted, eps: 1e-2, reduction: reduction, profile: profile)
                    ))
            }
        }
        // scalar var and integers
        let x3 = make([0.75, -1.5, 0.25], .float32, [3])
        let t3 = make([0.5, 0.5, 0.25], .float32, [3])
        for (value, text) in [(0.5, "0.5"), (1e-8, "1e-08")] {
            calls.append(("scalar_var.\(text)", call(x3, t3, .scalar(value), reduction: "sum", profile: profile)))
        }
        calls.append(
            (
                "integers.target_int32",
                call(
                    x3, make([1, 0, -2], .int32, [3]), .tensor(make([0.5, 1e-8, 2.0], .float32, [3])), profile: profile)
            ))
        return calls
    }
}
