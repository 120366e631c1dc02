internal import Conformance
internal import Judge

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
