import Conformance
import GaussianNLL

/// One-step simplifications of a case, simplest first: the fuzzer keeps the first that still fails the
/// same way, and repeats.
struct CaseShrinker: Sendable {
    let mutator: CaseMutator

    /// The cases one step simpler than `call`: without `full`, gradients, a custom eps or mixed dtypes;
    /// with an axis fewer or a smaller extent; with plain values. Each is normalized and differs from `call`.
    func simplifications(of call: LossCase) -> [LossCase] {
        var candidates = [LossCase]()
        func add(_ candidate: LossCase) {
            guard let normalized = mutator.normalized(candidate) else { return }
            candidates.append(normalized)
        }
        if call.full {
            var simpler = call
            simpler.full = false
            add(simpler)
        }
        if call.gradOutput != nil {
            var simpler = call
            simpler.gradOutput = nil
            add(simpler)
        }
        if call.eps != LossCase.defaultEps {
            var simpler = call
            simpler.eps = LossCase.defaultEps
            add(simpler)
        }
        let dtypes = [call.input.dtype, call.target.dtype] + (call.variance.tensor.map { [$0.dtype] } ?? [])
        if Set(dtypes).count > 1 {
            for dtype in [call.input.dtype, call.target.dtype] {
                var simpler = call
                simpler.input = call.input.converted(to: dtype)
                simpler.target = call.target.converted(to: dtype)
                if case .tensor(let tensor) = call.variance { simpler.variance = .tensor(tensor.converted(to: dtype)) }
                add(simpler)
            }
        }
        // Shapes: an axis fewer, then smaller extents; target and var keep their forms.
        let dims = call.input.shape.dims
        for axis in dims.indices {
            var fewer = dims
            fewer.remove(at: axis)
            add(reshaped(call, Shape(fewer)))
        }
        for axis in dims.indices where dims[axis] > 1 {
            for extent in Set([1, dims[axis] - 1]) {
                var smaller = dims
                smaller[axis] = extent
                add(reshaped(call, Shape(smaller)))
            }
        }
        // Values: a whole operand plain, then one element at a time.
        for (operand, plain) in [("var", 1.0), ("input", 1.0), ("target", 0.0), ("grad_output", 1.0)] {
            guard let tensor = self.operand(operand, of: call), tensor.elementCount > 0 else { continue }
            if let filled = try? Tensor.filled(plain, dtype: tensor.dtype, shape: tensor.shape) {
                add(replacing(operand, of: call, with: filled))
            }
            if tensor.elementCount <= 16 {
                for index in tensor.values.indices where tensor.values[index].bitPattern != plain.bitPattern {
                    var values = tensor.values
                    values[index] = plain
                    if let changed = try? Tensor(dtype: tensor.dtype, shape: tensor.shape, values: values) {
                        add(replacing(operand, of: call, with: changed))
                    }
                }
            }
        }
        if case .scalar(let value) = call.variance, value != 1 {
            var simpler = call
            simpler.variance = .scalar(1)
            add(simpler)
        }
        let original = CaseRecord(call)
        return candidates.filter { CaseRecord($0) != original }
    }

    private func reshaped(_ call: LossCase, _ shape: Shape) -> LossCase {
        var random = SplitMix64(seed: 0)
        return mutator.apply(to: call, inputShape: shape, random: &random)
    }

    private func operand(_ name: String, of call: LossCase) -> Tensor? {
        switch name {
        case "input": call.input
        case "target": call.target
        case "var": call.variance.tensor
        default: call.gradOutput
        }
    }

    private func replacing(_ name: String, of call: LossCase, with tensor: Tensor) -> LossCase {
        var result = call
        switch name {
        case "input": result.input = tensor
        case "target": result.target = tensor
        case "var": result.variance = .tensor(tensor)
        default: result.gradOutput = tensor
        }
        return result
    }
}
