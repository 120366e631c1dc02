internal import Conformance
internal import GaussianNLL
internal import Judge

/// The shape var takes part in the loss with, written on input's shape: `input.shape[:-1]` unsqueezed at -1;
/// in torch 1.8 a var of N elements is one value per sample. `nil` when var does not broadcast that way.
func effectiveVarianceShape(_ variance: Shape, input: Shape, profile: Profile) -> Shape? {
    if profile.sumsPerSample {
        guard let rows = input.dims.first, rows > 0 else { return nil }
        if variance.count == input.count { return input }
        if variance.count == rows { return Shape([rows] + Array(repeating: 1, count: input.rank - 1)) }
        return nil
    }
    if variance == input { return input }
    if input.rank >= 1 && variance == input.droppingLast { return variance.appendingUnitAxis }
    if variance.rank == input.rank,
        case .success(let shape) = Shape.broadcast(variance, input), shape == input
    {
        return variance
    }
    return nil
}

/// How many elements the 'none' loss of a call has under a profile (`nil` when the call is rejected).
func unreducedCount(_ call: LossCase, profile: Profile) -> Int? {
    var none = call.with(reduction: "none")
    none.gradOutput = nil
    guard case .success(let result) = Reference.evaluate(none, profile: profile) else { return nil }
    return result.loss.elementCount
}

/// 0.5·log(2π), the constant `full` adds, as the Python float `0.5 * math.log(2 * math.pi)`.
let halfLogTwoPi = 0.918_938_533_204_672_7

extension TrialCheck {
    /// Compares loss and the input and target gradients of two calls, and var's when both have one.
    mutating func expectSameOutputs(_ label: String, _ a: Int, _ b: Int, kinds: [OutputKind] = OutputKind.allCases) {
        for kind in kinds {
            expectSame(label, output(kind, of: a), output(kind, of: b))
        }
    }

    /// Whether the oracle accepts call `index`.
    func accepted(_ index: Int) -> Bool {
        exact(index) != nil
    }
}

/// The gradient kinds.
let gradientKinds: [OutputKind] = [.gradInput, .gradTarget, .gradVar]
