public import Conformance

/// A check that only has a name: it runs no case and ends skipped. For tests of planning, selection and
/// sources, where what a check does does not matter.
public struct NamedCheck: ConformanceCheck {
    public let id: String
    public let category = "test"
    public let title = "a named check"

    public init(id: String) {
        self.id = id
    }

    public func run(in context: CheckContext) -> CheckResult {
        CheckResult(id: id, category: category, title: title)
    }
}
