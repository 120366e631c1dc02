internal import GaussianNLL
public import GoldenFiles
public import Judge

/// The differences between two golden files made from the same plan, case by case.
public struct GoldenComparison: Sendable {
    /// One case whose outcome changed.
    public struct Change: Sendable, Equatable {
        public var name: String
        public var category: String
        public var summary: String
    }

    public private(set) var changes: [Change] = []

    public init(old: GoldenFile, new: GoldenFile, tolerance: ToleranceModel = .standard) {
        let newCases = Dictionary(new.cases.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let oldNames = Set(old.cases.map(\.name))
        for before in old.cases {
            guard let after = newCases[before.name] else {
                changes.append(Change(name: before.name, category: before.category, summary: "only in the older file"))
                continue
            }
            if let summary = Self.difference(before, after, profile: new.profile, tolerance: tolerance) {
                changes.append(Change(name: before.name, category: before.category, summary: summary))
            }
        }
        for after in new.cases where !oldNames.contains(after.name) {
            changes.append(Change(name: after.name, category: after.category, summary: "only in the newer file"))
        }
    }

    static func describe(_ outcome: LossOutcome) -> String {
        switch outcome {
        case .rejection(let rejection):
            "error \(rejection.kind.rawValue): \(rejection.exceptionType): \(rejection.message)"
        case .success(let result): "ok, loss \(result.loss.dtype)\(result.loss.shape)"
        }
    }

    static func difference(_ a: GoldenCase, _ b: GoldenCase, profile: Profile, tolerance: ToleranceModel) -> String? {
        guard a.call == b.call || (a.call.input.isBitwiseIdentical(to: b.call.input)) else {
            return "the inputs differ: the files were not made from the same plan"
        }
        switch (a.expected, b.expected) {
        case (.rejection(let x), .rejection(let y)):
            if x.kind != y.kind || x.message != y.message || x.exceptionType != y.exceptionType {
                return "\(describe(a.expected)) → \(describe(b.expected))"
            }
            return nil
        case (.success, .rejection), (.rejection, .success):
            return "\(describe(a.expected)) → \(describe(b.expected))"
        case (.success(let x), .success(let y)):
            let pairs: [(String, Tensor?, Tensor?)] = [
                ("loss", x.loss, y.loss), ("grad_input", x.gradients?.input, y.gradients?.input),
                ("grad_target", x.gradients?.target, y.gradients?.target),
                ("grad_var", x.gradients?.variance, y.gradients?.variance),
            ]
            for (name, first, second) in pairs {
                guard let first, let second else {
                    if (first == nil) != (second == nil) { return "\(name) present in only one file" }
                    continue
                }
                if first.dtype != second.dtype || first.shape != second.shape {
                    return "\(name) \(first.dtype)\(first.shape) → \(second.dtype)\(second.shape)"
                }
            }
            guard case .success(let loss, let gradients, _) = Oracle.evaluate(b.call, profile: profile) else {
                return nil
            }
            let u = b.call.largestUnitRoundoff
            let exact: [(String, ExactTensor?, OutputKind)] = [
                ("loss", loss, .loss), ("grad_input", gradients?.input, .gradInput),
                ("grad_target", gradients?.target, .gradTarget), ("grad_var", gradients?.variance, .gradVar),
            ]
            for ((name, first, second), (_, exactTensor, kind)) in zip(pairs, exact) {
                guard let first, let second, let exactTensor else { continue }
                for (index, (p, q)) in zip(first.values, second.values).enumerated() {
                    if p.isNaN && q.isNaN || p == q { continue }
                    if !p.isFinite || !q.isFinite {
                        return "\(name)[\(index)] \(p) → \(q)"
                    }
                    let element = exactTensor.elements[index]
                    let bound = Double(tolerance.bound(for: element, kind: kind, dtype: first.dtype, unitRoundoff: u))
                    if !(abs(p - q) <= 2 * bound) {
                        return "\(name)[\(index)] \(p) → \(q), further apart than the tolerance (\(2 * bound))"
                    }
                }
            }
            return nil
        }
    }
}
