import CandidateProtocol
import GNLLTestSupport
import GaussianNLL
import Testing

/// The bytes of a string, as a line.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Expects `body` to throw a ``ProtocolError`` whose description contains every fragment.
func expectProtocolError(
    _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected a protocol error containing \(fragments)", sourceLocation: sourceLocation)
    } catch let error as ProtocolError {
        for fragment in fragments where !error.description.contains(fragment) {
            Issue.record("\"\(error.description)\" does not contain \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a protocol error, got \(error)", sourceLocation: sourceLocation)
    }
}
