/// A protocol message that is malformed, or a value that cannot be sent.
///
/// The description names the message, the field and the problem:
///
/// ```
/// response 17: field "loss.data": invalid base64 at offset 12: '!' is not allowed here
/// hello response: field "profile": unknown profile "torch-3.0"
/// response 4: invalid JSON at byte 0: unexpected 'G', expected a value
/// ```
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message the problem is in: "hello response", "response 17", "request", "request 3".
    public var subject: String
    /// The dotted path of the field, such as `loss.data` or `error.kind`; `nil` for the message as a whole.
    public var field: String?
    /// What is wrong.
    public var problem: String
    /// The request id, when it could be read; lets a server answer a malformed request with its id.
    public var id: Int?

    /// Makes an error; see the properties.
    public init(subject: String, field: String? = nil, problem: String, id: Int? = nil) {
        self.subject = subject
        self.field = field
        self.problem = problem
        self.id = id
    }

    /// The field and the problem, without the subject.
    public var detail: String {
        if let field { "field \"\(field)\": \(problem)" } else { problem }
    }

    /// `subject: field "path": problem`, or `subject: problem`.
    public var description: String { "\(subject): \(detail)" }
}
