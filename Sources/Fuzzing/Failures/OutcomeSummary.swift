public import GaussianNLL

/// An outcome in a reproducer, for people: the kind, the error, and each output's dtype, shape and first
/// values. Values are strings (`"nan"`, `"-inf"`, `"-0.0"`), which JSON numbers cannot all be.
public struct OutcomeSummary: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case result
        case rejection
        case fault
    }

    public var kind: Kind
    /// The rejection's or the fault's kind.
    public var errorKind: String?
    public var exceptionType: String?
    public var message: String?
    /// The outputs of a result, loss first.
    public var outputs: [OutputSummary]?

    /// How many values of each output are kept.
    public static let valueLimit = 8

    /// A candidate's answer.
    public init(_ answer: CandidateAnswer) {
        switch answer {
        case .fault(let fault):
            kind = .fault
            errorKind = fault.kind.rawValue
            message = fault.description
        case .outcome(.rejection(let rejection)):
            kind = .rejection
            errorKind = rejection.kind.rawValue
            exceptionType = rejection.exceptionType.isEmpty ? nil : rejection.exceptionType
            message = rejection.message
        case .outcome(.success(let result)):
            kind = .result
            var outputs = [OutputSummary(name: "loss", result.loss)]
            if let gradients = result.gradients {
                if let input = gradients.input { outputs.append(OutputSummary(name: "grad_input", input)) }
                if let target = gradients.target { outputs.append(OutputSummary(name: "grad_target", target)) }
                if let variance = gradients.variance { outputs.append(OutputSummary(name: "grad_var", variance)) }
            }
            self.outputs = outputs
        }
    }

    /// The oracle's expectation.
    public init(_ expected: ExactOutcome) {
        switch expected {
        case .rejection(let rejection):
            kind = .rejection
            errorKind = rejection.kind.rawValue
            exceptionType = rejection.exceptionType
            message = rejection.message
        case .success(let loss, let gradients, _):
            kind = .result
            var outputs = [OutputSummary(name: "loss", loss)]
            if let gradients {
                if let input = gradients.input { outputs.append(OutputSummary(name: "grad_input", input)) }
                if let target = gradients.target { outputs.append(OutputSummary(name: "grad_target", target)) }
                if let variance = gradients.variance { outputs.append(OutputSummary(name: "grad_var", variance)) }
            }
            self.outputs = outputs
        }
    }
}

/// One output tensor, summarized.
public struct OutputSummary: Sendable, Codable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// The first values (at most ``OutcomeSummary/valueLimit``), as text.
    public var values: [String]

    public init(name: String, _ tensor: Tensor) {
        self.name = name
        dtype = tensor.dtype
        shape = tensor.shape.dims
        values = tensor.values.prefix(OutcomeSummary.valueLimit).map(Self.text)
    }

    public init(name: String, _ tensor: ExactTensor) {
        self.name = name
        dtype = tensor.dtype
        shape = tensor.shape.dims
        values = tensor.elements.prefix(OutcomeSummary.valueLimit).map { Self.text(Double($0.value)) }
    }

    /// A value as text: NaN without its payload, so that other tools can read it.
    static func text(_ value: Double) -> String {
        value.isNaN ? (value.sign == .minus ? "-nan" : "nan") : "\(value)"
    }
}
