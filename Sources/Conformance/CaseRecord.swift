internal import CandidateProtocol
public import GaussianNLL

/// A case in JSON, in the shape of the candidate protocol's eval request (without op and id), so that
/// a failure recorded in a results file can be replayed and read by people.
public struct CaseRecord: Sendable, Codable, Equatable {
    public var input: TensorRecord
    public var target: TensorRecord
    public var variance: VarianceRecord
    public var full: Bool
    public var eps: Double
    public var reduction: String
    public var grad: Bool
    public var gradOutput: TensorRecord?
    /// Which operands require grad (protocol 2), when gradients are wanted and not every operand that can
    /// requires them; absent otherwise.
    public var requiresGrad: RequiresGradRecord?
    /// Whether the Hessian-vector product was asked for (protocol 2 hvp); absent when not.
    public var hvp: Bool?
    /// Whether the forward-mode derivative was asked for (protocol 2 jvp); absent when not.
    public var jvp: Bool?
    /// The tangents of an hvp or jvp call, one per operand that requires grad; absent otherwise.
    public var tangents: TangentsRecord?

    enum CodingKeys: String, CodingKey {
        case input, target, full, eps, reduction, grad, hvp, jvp, tangents
        case variance = "var"
        case gradOutput = "grad_output"
        case requiresGrad = "requires_grad"
    }

    public init(_ call: LossCase) {
        input = TensorRecord(call.input)
        target = TensorRecord(call.target)
        switch call.variance {
        case .tensor(let tensor): variance = .tensor(TensorRecord(tensor))
        case .scalar(let value): variance = .scalar(value)
        }
        full = call.full
        eps = call.eps
        reduction = call.reduction
        grad = call.wantsGradients
        gradOutput = call.gradOutput.map(TensorRecord.init)
        let all = RequiresGrad(input: true, target: true, variance: call.variance.tensor != nil)
        let operands = call.gradientOperands
        requiresGrad =
            call.wantsGradients && operands != all
            ? RequiresGradRecord(input: operands.input, target: operands.target, var: operands.variance) : nil
        if let request = call.higherOrder {
            hvp = request.hvp ? true : nil
            jvp = request.jvp ? true : nil
            tangents = TangentsRecord(
                input: request.tangents.input.map(TensorRecord.init),
                target: request.tangents.target.map(TensorRecord.init),
                var: request.tangents.variance.map(TensorRecord.init))
        }
    }

    /// The case back; throws when a tensor does not decode.
    public func call() throws -> LossCase {
        let varianceValue: Variance
        switch variance {
        case .tensor(let record): varianceValue = .tensor(try record.tensor())
        case .scalar(let value): varianceValue = .scalar(value)
        }
        var higherOrder: HigherOrderRequest?
        if hvp == true || jvp == true {
            higherOrder = HigherOrderRequest(
                tangents: OperandTensors(
                    input: try tangents?.input?.tensor(), target: try tangents?.target?.tensor(),
                    variance: try tangents?.var?.tensor()),
                hvp: hvp == true, jvp: jvp == true)
        }
        return LossCase(
            input: try input.tensor(), target: try target.tensor(), variance: varianceValue, full: full, eps: eps,
            reduction: reduction, gradOutput: grad ? try gradOutput?.tensor() : nil,
            requiresGrad: requiresGrad.map { RequiresGrad(input: $0.input, target: $0.target, variance: $0.var) }
                ?? .all, higherOrder: higherOrder)
    }
}

/// `{"input": T, "target": T, "var": T}`, as protocol 2's tangents: one per operand that requires grad.
public struct TangentsRecord: Sendable, Codable, Equatable {
    public var input: TensorRecord?
    public var target: TensorRecord?
    public var `var`: TensorRecord?
}

/// `{"input": b, "target": b, "var": b}`, as protocol 2's requires_grad.
public struct RequiresGradRecord: Sendable, Codable, Equatable {
    public var input: Bool
    public var target: Bool
    public var `var`: Bool
}

/// A tensor as the protocol writes it: dtype, shape and base64 little-endian bytes.
public struct TensorRecord: Sendable, Codable, Equatable {
    public var dtype: DType
    public var shape: [Int]
    public var data: String

    public init(_ tensor: Tensor) {
        dtype = tensor.dtype
        shape = tensor.shape.dims
        data = Base64.encode(tensor.littleEndianBytes)
    }

    public func tensor() throws -> Tensor {
        let bytes: [UInt8]
        do { bytes = try Base64.decode(data.utf8) } catch {
            throw RecordError(message: "tensor data is not valid base64: \(error)")
        }
        return try Tensor(dtype: dtype, shape: Shape(shape), littleEndianBytes: bytes)
    }
}

/// var: a tensor, or `{"scalar": x}`.
public enum VarianceRecord: Sendable, Codable, Equatable {
    case tensor(TensorRecord)
    case scalar(Double)

    private struct Scalar: Codable { var scalar: Double }

    public init(from decoder: any Decoder) throws {
        if let scalar = try? Scalar(from: decoder) {
            self = .scalar(scalar.scalar)
        } else {
            self = .tensor(try TensorRecord(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .tensor(let record): try record.encode(to: encoder)
        case .scalar(let value): try Scalar(scalar: value).encode(to: encoder)
        }
    }
}

/// A record that does not describe a case.
public struct RecordError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
