public import GaussianNLL
public import GoldenFiles
public import Judge

/// How close real PyTorch comes to the tolerance bound: PyTorch's recorded outputs judged against the
/// oracle, per dtype and output kind. CONFORMANCE.md publishes these margins; the model requires the
/// largest ratio to stay at or below 0.5 (2× headroom).
public struct GoldenMargins: Sendable {
    /// One row: a dtype (of the output) and an output kind.
    public struct Row: Sendable, Hashable, Comparable {
        public var dtype: DType
        public var kind: OutputKind

        public static func < (a: Row, b: Row) -> Bool {
            (DType.allCases.firstIndex(of: a.dtype)!, OutputKind.allCases.firstIndex(of: a.kind)!)
                < (DType.allCases.firstIndex(of: b.dtype)!, OutputKind.allCases.firstIndex(of: b.kind)!)
        }
    }

    /// What was measured for a row.
    public struct Measurement: Sendable {
        public var elements = 0
        public var worstRatio = 0.0
        /// The case that reached the worst ratio.
        public var worstCase = ""
        /// Elements where PyTorch gave ±inf or NaN because an intermediate overflowed.
        public var allowedOverflows = 0
        /// Elements beyond the bound: must be 0.
        public var failures = 0
    }

    public private(set) var rows: [Row: Measurement] = [:]
    /// Cases where the oracle's outcome (acceptance, shape, dtype) disagrees with PyTorch's.
    public private(set) var disagreements: [String] = []

    public init(file: GoldenFile, tolerance: ToleranceModel = .standard) {
        for golden in file.cases {
            guard case .success(let recorded) = golden.expected else { continue }
            let exact = Oracle.evaluate(golden.call, profile: file.profile)
            if let problem = GoldenReplayCheck.structuralDisagreement(exact, recorded: recorded) {
                disagreements.append("\(golden.name): \(problem)")
                continue
            }
            guard case .success(let loss, let gradients, let higherOrder) = exact else { continue }
            let u = golden.call.largestUnitRoundoff
            let outputs = OutputPairing.pairs(of: recorded, loss: loss, gradients: gradients, higherOrder: higherOrder)
            for case .pair(let kind, let tensor?, let exactTensor) in outputs {
                let row = Row(dtype: exactTensor.dtype, kind: kind)
                var measurement = rows[row] ?? Measurement()
                for (value, element) in zip(tensor.values, exactTensor.elements) {
                    let judgement = tolerance.judge(
                        value, exact: element, kind: kind, dtype: exactTensor.dtype, unitRoundoff: u)
                    measurement.elements += 1
                    if judgement == .allowedOverflow { measurement.allowedOverflows += 1 }
                    if !judgement.passes { measurement.failures += 1 }
                    if judgement.ratio > measurement.worstRatio {
                        measurement.worstRatio = judgement.ratio
                        measurement.worstCase = golden.name
                    }
                }
                rows[row] = measurement
            }
        }
    }

    /// Merges the measurements of several files.
    public mutating func merge(_ other: GoldenMargins) {
        for (row, theirs) in other.rows {
            var ours = rows[row] ?? Measurement()
            ours.elements += theirs.elements
            ours.allowedOverflows += theirs.allowedOverflows
            ours.failures += theirs.failures
            if theirs.worstRatio > ours.worstRatio {
                ours.worstRatio = theirs.worstRatio
                ours.worstCase = theirs.worstCase
            }
            rows[row] = ours
        }
        disagreements += other.disagreements
    }
}
