import Conformance
import Foundation
import Fuzzing
import GaussianNLL
import Judge
import Testing

/// The reference with a planted bug: grad_var is zero wherever var is below eps (as an implementation that
/// clamps with a differentiable `maximum` would give).
struct ZeroedGradVarCandidate: Candidate {
    let reference: ReferenceCandidate

    init(profile: Profile = .current) { reference = ReferenceCandidate(profile: profile) }

    var info: CandidateInfo { reference.info }

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        zip(calls, reference.evaluate(calls)).map { call, answer in
            guard case .outcome(.success(var result)) = answer, let variance = call.variance.tensor,
                let gradient = result.gradients?.variance
            else { return answer }
            let floor = variance.dtype.round(call.eps)
            let values = zip(variance.values, gradient.values).map { $0 < floor ? 0 : $1 }
            result.gradients?.variance = try? Tensor(dtype: gradient.dtype, shape: gradient.shape, values: values)
            return .outcome(.success(result))
        }
    }
}

/// Mutations that keep the seeds' plain values: shapes, forms, dtypes and options.
let plainMutations: [Mutation] = [.extent, .rank, .varianceForm, .targetForm, .dtype, .reduction, .full, .gradients]

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "gnll-fuzzing-tests-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Differential fuzzer")
struct FuzzerTests {
    @Test("A planted bug is found quickly, and its reproducer replays: it fails on the bug, passes on the reference")
    func plantedBug() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fuzzer = DifferentialFuzzer(
            candidate: ZeroedGradVarCandidate(),
            configuration: .init(
                profile: .current, seed: 3, outputDirectory: directory,
                mutations: plainMutations + [.aroundEps, .eps]))
        let summary = fuzzer.run(limit: .cases(20_000))
        let found = summary.failures.filter { $0.signature.problem.hasSuffix("grad_var") }
        try #require(!found.isEmpty, "no grad_var failure in \(summary.progress.cases) cases")
        var replayed = false
        for failure in found {
            let path = try #require(failure.path)
            let reproducer = try Reproducer.read(from: path)
            #expect(reproducer.signature == failure.signature)
            let again = try reproducer.replay(against: ZeroedGradVarCandidate())
            #expect(again.fails)
            #expect(again.signature == failure.signature)
            if try !reproducer.replay(against: ReferenceCandidate()).fails { replayed = true }
        }
        #expect(replayed, "no reproducer passes against the reference")
    }

    @Test("The reference gives no failure on plain cases", arguments: Profile.allCases)
    func referencePlain(_ profile: Profile) {
        let fuzzer = DifferentialFuzzer(
            candidate: ReferenceCandidate(profile: profile),
            configuration: .init(profile: profile, seed: 11, mutations: plainMutations))
        let summary = fuzzer.run(limit: .cases(4000))
        #expect(summary.progress.cases == 4000)
        #expect(
            summary.progress.failingCases == 0,
            "\(summary.failures.map { "\($0.signature): \($0.judgement.findings)" })")
    }

    // Every mutation reaches the range limits (0·∞ after an underflow, sums that overflow, 0-d operands
    // converted to narrower types), where the oracle models PyTorch's NaNs and infinities.
    @Test("The reference gives no failure under every mutation", arguments: Profile.allCases)
    func referenceAllMutations(_ profile: Profile) {
        let fuzzer = DifferentialFuzzer(
            candidate: ReferenceCandidate(profile: profile), configuration: .init(profile: profile, seed: 12))
        let summary = fuzzer.run(limit: .cases(8000))
        #expect(summary.progress.cases == 8000)
        #expect(
            summary.progress.failingCases == 0,
            "\(summary.failures.map { "\($0.signature): \($0.judgement.findings)" })")
    }

    @Test("The time limit holds while a batch is built: a huge batch is cut when the time is up")
    func timeLimitWhileBuilding() {
        let fuzzer = DifferentialFuzzer(
            candidate: ReferenceCandidate(profile: .torch2_10),
            configuration: .init(profile: .torch2_10, seed: 5, batchSize: 100_000_000))
        let started = ContinuousClock.now
        let summary = fuzzer.run(limit: .seconds(0.5))
        // Building 10^8 cases would take many minutes and gigabytes; the batch stops at the limit instead.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(summary.progress.cases > 0)
        #expect(summary.progress.cases < 10_000_000)
    }

    @Test("A run is the same for one seed")
    func sameRun() {
        func run() -> ([String], FuzzProgress) {
            let fuzzer = DifferentialFuzzer(
                candidate: ZeroedGradVarCandidate(), configuration: .init(profile: .torch2_6, seed: 21, batchSize: 16))
            let summary = fuzzer.run(limit: .cases(3000))
            var progress = summary.progress
            progress.elapsed = .zero
            return (summary.failures.map { "\($0.signature) \(CaseRecord($0.call))" }, progress)
        }
        let first = run()
        let second = run()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
    }

    @Test("A reproducer survives the round trip through its file; its name depends on the signature alone")
    func reproducerFile() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var call = SeedCases.all()[1]
        call.eps = -0.0
        call.variance = .scalar(-0.0)
        let answer = CandidateAnswer.fault(CandidateFault(kind: .crashed, message: "exit 1"))
        let signature = FailureSignature(problem: "fault:crashed", form: FailureSignature.form(of: call))
        let reproducer = Reproducer(
            signature: signature, profile: .torch2_6, candidate: ReferenceCandidate().info, seed: 7, caseNumber: 12,
            mutations: [.nanPayload], shrunk: true, findings: ["candidate fault: crashed: exit 1"],
            answer: OutcomeSummary(answer), expected: OutcomeSummary(Oracle.evaluate(call, profile: .torch2_6)),
            call: CaseRecord(call))
        let path = try reproducer.write(toDirectory: directory)
        #expect(path.hasSuffix(signature.fileName))
        let read = try Reproducer.read(from: path)
        #expect(read == reproducer)
        let decoded = try read.call.call()
        #expect(decoded.eps.sign == .minus)
        #expect(FailureSignature(problem: "fault:crashed", form: signature.form).fileName == signature.fileName)
        #expect(FailureSignature(problem: "class:loss", form: signature.form).fileName != signature.fileName)
    }

    @Test("Failures are deduplicated: one reproducer per signature")
    func deduplicated() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fuzzer = DifferentialFuzzer(
            candidate: ZeroedGradVarCandidate(),
            configuration: .init(
                profile: .current, seed: 5, outputDirectory: directory,
                mutations: plainMutations + [.aroundEps, .eps]))
        let summary = fuzzer.run(limit: .cases(10_000))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.count == summary.failures.count)
        #expect(Set(summary.failures.map(\.signature)).count == summary.failures.count)
        #expect(summary.progress.failingCases >= summary.failures.count)
    }
}
