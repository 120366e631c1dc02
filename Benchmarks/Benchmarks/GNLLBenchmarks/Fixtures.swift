import CandidateProtocol
import GaussianNLL
import Judge

/// The fixed inputs every benchmark measures: small calls of the loss, written out by hand so that a benchmark's
/// allocation count depends on the code under test only.
///
/// The calls go through the public initializers with their default arguments, so that fields the core types gain
/// later take their defaults here.
enum Fixtures {
    /// A float32 call of six elements with a same-shape var, 'mean', with gradients: the op-by-op path of
    /// `Reference.evaluate` (the fused kernel takes calls of 8 elements and more).
    static let small = call(
        dtype: .float32, shape: [2, 3], input: [0.5, -1.25, 2, 0.125, -0.75, 1.5],
        target: [0.25, -1, 1.5, 0, -0.5, 2], variance: [0.5, 1, 2, 0.25, 1e-8, 4])

    /// The same values in float64, whose oracle evaluates in Float80 (ExtendedReal on platforms without it).
    static let smallFloat64 = call(
        dtype: .float64, shape: [2, 3], input: [0.5, -1.25, 2, 0.125, -0.75, 1.5],
        target: [0.25, -1, 1.5, 0, -0.5, 2], variance: [0.5, 1, 2, 0.25, 1e-8, 4])

    /// A float32 call of 64 elements (8 rows of 8) with a per-row var (8, 1): the fused kernel's path.
    static let fused: LossCase = {
        let values = (0..<64).map { Double($0 % 13) * 0.25 - 1.5 }
        let variance = (0..<8).map { Double($0) * 0.5 + 0.125 }
        return LossCase(
            input: tensor(.float32, [8, 8], values), target: tensor(.float32, [8, 8], values.reversed()),
            variance: .tensor(tensor(.float32, [8, 1], variance)), reduction: "mean",
            gradOutput: .scalar(1, dtype: .float32))
    }()

    /// What the reference answers for ``small``: the outcome the judge and the response decoder take.
    static let smallOutcome = Reference.evaluate(small)

    /// What the oracle expects for ``small``.
    static let smallExpected = Oracle.evaluate(small)

    /// The `eval` request line for ``small``, id 1.
    static let smallRequest: [UInt8] = {
        do { return try ProtocolMessages.evalRequest(id: 1, call: small) } catch {
            fatalError("the small call cannot be encoded: \(error)")
        }
    }()

    /// The response line a candidate sends for ``small``: the reference's outcome, id 1.
    static let smallResponse = ProtocolMessages.encodeEvalResponse(id: 1, outcome: smallOutcome)

    static func call(
        dtype: DType, shape: Shape, input: [Double], target: [Double], variance: [Double]
    ) -> LossCase {
        LossCase(
            input: tensor(dtype, shape, input), target: tensor(dtype, shape, target),
            variance: .tensor(tensor(dtype, shape, variance)), reduction: "mean", gradOutput: .scalar(1, dtype: dtype))
    }

    static func tensor(_ dtype: DType, _ shape: Shape, _ values: [Double]) -> Tensor {
        do { return try Tensor(dtype: dtype, shape: shape, values: values) } catch {
            fatalError("fixture tensor \(shape) of \(values.count) values: \(error)")
        }
    }
}
