import Conformance
import Dispatch
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing

/// A candidate that waits, inside `evaluate`, until the suite's preparation has started; it answers with
/// faults when that does not happen within a few seconds (the two did not run at the same time).
private final class RendezvousCandidate: Candidate, @unchecked Sendable {
    let info = CandidateInfo(name: "rendezvous", version: "1")
    let reference = ReferenceCandidate(profile: .current)
    let evaluating = DispatchSemaphore(value: 0)
    let preparing = DispatchSemaphore(value: 0)
    private(set) var calls = 0

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        self.calls += calls.count
        evaluating.signal()
        guard preparing.wait(timeout: .now() + 5) == .success else {
            return calls.map { _ in .fault(CandidateFault(kind: .timedOut, message: "no preparation in parallel")) }
        }
        return reference.evaluate(calls)
    }
}

@Suite("CandidateSession")
struct CandidateSessionTests {
    private func call(_ dtype: DType) throws -> LossCase {
        LossCase(
            input: try Tensor(dtype: dtype, shape: [2], values: [1, 2]),
            target: try Tensor(dtype: dtype, shape: [2], values: [0, 4]),
            variance: .tensor(try Tensor(dtype: dtype, shape: [2], values: [1, 2])), eps: 1e-6, reduction: "sum")
    }

    @Test("The preparation runs while the candidate answers, and answers keep the calls' order")
    func preparesWhileTheCandidateAnswers() throws {
        let candidate = RendezvousCandidate()
        let session = CandidateSession(candidate: candidate, profile: .current)
        // float16 is not declared: answered 'unsupported' by the session, never sent.
        let calls = [try call(.float32), try call(.float16), try call(.float64)]
        let (answers, prepared) = session.answers(calls) { () -> Bool in
            let started = candidate.evaluating.wait(timeout: .now() + 5) == .success
            candidate.preparing.signal()
            return started
        }
        #expect(prepared)
        #expect(candidate.calls == 2)
        #expect(answers.count == 3)
        // sum of 0.5·(log v + d²/v): (0 + 1)/2 + (log 2 + 2)/2
        let expected = 0.5 * (1 + log(2.0) + 2)
        for index in [0, 2] {
            guard case .outcome(.success(let result)) = answers[index] else {
                Issue.record("call \(index): \(answers[index])")
                continue
            }
            #expect(result.loss.dtype == calls[index].input.dtype)
            #expect(abs(result.loss.values[0] - expected) < 1e-6)
        }
        guard case .outcome(.rejection(let rejection)) = answers[1] else {
            Issue.record("float16 call: \(answers[1])")
            return
        }
        #expect(rejection.kind == .unsupported)
    }
}

@Suite("Background")
struct BackgroundTests {
    @Test("The result is what the body returned, waited for, and the same however often it is read")
    func returnsTheValue() {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let work = Background { () -> Int in
            started.signal()
            release.wait()
            return 42
        }
        // The body runs on its own thread while this one goes on.
        #expect(started.wait(timeout: .now() + 5) == .success)
        release.signal()
        #expect(work.result.get() == 42)
        #expect(work.result.get() == 42)
    }

    @Test("An error the body throws comes back as the result's failure")
    func keepsTheError() {
        struct Broken: Error {}
        let work = Background { () throws(Broken) -> Int in throw Broken() }
        #expect(throws: Broken.self) { try work.result.get() }
    }
}

@Suite("PreparedChecks")
struct PreparedChecksTests {
    @Test("Owns the ids with its prefix, and gives each profile its own checks")
    func ownsAndGives() {
        let source = PreparedChecks(
            idPrefix: "golden.", checks: [.torch2_10: [NamedCheck(id: "golden.a"), NamedCheck(id: "golden.b")]])
        #expect(source.ownsCheck(id: "golden.eps"))
        #expect(!source.ownsCheck(id: "property.random.oracle"))
        #expect(source.checks(for: .torch2_10).map(\.id) == ["golden.a", "golden.b"])
        #expect(source.checks(for: .torch1_9).isEmpty)
    }
}
