import Conformance
import GNLLTestSupport
import GaussianNLL
import Testing
import Verification

@Suite("The checks of a run")
struct CheckPlanTests {
    private let golden = PreparedChecks(
        idPrefix: "golden.", checks: [.torch2_10: [NamedCheck(id: "golden.a"), NamedCheck(id: "golden.b")]])
    private var checks: [any ConformanceCheck] {
        [
            NamedCheck(id: "golden.a"), NamedCheck(id: "golden.b"), NamedCheck(id: "property.x"),
            NamedCheck(id: "property.y"),
        ]
    }

    @Test("The selection and then the shard pick the checks, in run order")
    func selectionAndShard() throws {
        var settings = VerificationSettings()
        settings.sources = [golden]
        settings.selection = ["property.y", "golden.a", "golden.b"]
        settings.shard = try ShardSpec(index: 2, count: 2)
        let plan = try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
        #expect(plan.allIDs == ["golden.a", "golden.b", "property.x", "property.y"])
        // Sorted ids golden.a, golden.b, property.y deal to shards 1, 2, 1.
        #expect(plan.selected.map(\.id) == ["golden.b"])
    }

    @Test("A selected id or a listed id that names no check is an error that names it")
    func unknownIDs() throws {
        var settings = VerificationSettings()
        settings.selection = ["property.z"]
        #expect(throws: VerificationError.self) {
            try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
        }
        do {
            _ = try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
        } catch {
            #expect(error.message == "no check has the id 'property.z' under torch-2.10")
        }
        settings.selection = []
        settings.expectedFailures = try ExpectedFailures.parse("property.q\n", path: "list.txt")
        do {
            _ = try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
            Issue.record("an unknown listed id was accepted")
        } catch {
            #expect(error.message == "unknown id in list.txt:1: no check is named 'property.q'")
        }
    }

    @Test("A source the selection does not need is not read, and its listed ids count as known")
    func unreadSource() throws {
        var settings = VerificationSettings()
        settings.sources = [golden]
        settings.selection = ["property.x"]
        settings.expectedFailures = try ExpectedFailures.parse("golden.maybe\n", path: "list.txt")
        #expect(!settings.needsChecks(of: golden))
        let plan = try CheckPlan(
            checks: [NamedCheck(id: "property.x"), NamedCheck(id: "property.y")], settings: settings,
            profile: .torch2_10)
        #expect(plan.knownIDs.contains("golden.maybe"))
        #expect(plan.selected.map(\.id) == ["property.x"])
    }
}

@Suite("Who closes the candidate")
struct CandidateClosingTests {
    /// Counts `close()` calls; answers like the reference.
    final class CountingCandidate: Candidate, @unchecked Sendable {
        let info = CandidateInfo(name: "counting", version: "1")
        let reference = ReferenceCandidate()
        var closes = 0
        func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] { reference.evaluate(calls) }
        func close() { closes += 1 }
    }

    @Test("A run closes a candidate it started, and leaves one it was given to its caller")
    func closing() throws {
        var settings = VerificationSettings()
        settings.selection = ["property.reduction.sum_of_none"]
        settings.budget = .quick
        let given = CountingCandidate()
        _ = try Verification.run(settings, candidate: given)
        #expect(given.closes == 0)
        let started = CountingCandidate()
        _ = try Verification.run(settings, starting: { started })
        #expect(started.closes == 1)
    }
}
