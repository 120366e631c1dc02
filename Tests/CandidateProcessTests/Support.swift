import CandidateProcess
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing

/// The fixture candidate, `Fixtures/candidate.py`, run by the real python3 (not a version-manager shim,
/// which would cost more start-up time than the tests themselves).
enum Fixture {
    /// The python3 interpreter's path, or `nil` when there is none.
    static let python: String? = {
        let probe = try? runProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import sys; print(sys.executable)"], timeout: 60)
        guard let probe, probe.status == 0 else { return nil }
        let path = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : path
    }()

    static var available: Bool { python != nil }

    static let script: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        .appendingPathComponent("candidate.py").path

    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Starts the fixture; short timeouts keep the misbehaviour tests fast.
    static func start(
        _ mode: String, _ arguments: String..., options: ProcessCandidate.Options = Fixture.options
    ) throws -> ProcessCandidate {
        let words = [python ?? "python3", "-S", script, mode] + arguments
        return try ProcessCandidate(command: "exec " + words.map(quote).joined(separator: " "), options: options)
    }

    /// Starts the fixture so that it misbehaves once in all, at the N-th eval of its first process.
    static func once(
        _ mode: String, at index: Int, options: ProcessCandidate.Options = Fixture.options
    ) throws -> ProcessCandidate {
        try start(mode, String(index), marker(), options: options)
    }

    /// A fresh path for a marker file, in a directory the system cleans.
    static func marker() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("gnll-fixture-\(UUID().uuidString)").path
    }

    static var options: ProcessCandidate.Options {
        ProcessCandidate.Options(caseTimeout: .seconds(5), startTimeout: .seconds(5))
    }
}

/// A call with same-shape float operands; 'none' by default, so the loss has the operands' shape.
func call(
    shape: Shape = [3], dtype: DType = .float32, reduction: String = "none", grad: Bool = false,
    scalarVariance: Bool = false
) -> LossCase {
    let count = (try? shape.elementCount()) ?? 0
    let values = (0..<count).map { Double($0) / 4 }
    let input = try! Tensor(dtype: dtype, shape: shape, values: values)
    let target = try! Tensor(dtype: dtype, shape: shape, values: values.reversed())
    let variance = try! Tensor.filled(0.5, dtype: dtype, shape: shape)
    let lossShape: Shape = reduction == "none" ? shape : []
    return LossCase(
        input: input, target: target, variance: scalarVariance ? .scalar(0.5) : .tensor(variance),
        reduction: reduction, gradOutput: grad ? try! .filled(1, dtype: dtype, shape: lossShape) : nil)
}

extension CandidateAnswer {
    var result: LossResult? {
        if case .outcome(.success(let result)) = self { return result }
        return nil
    }

    var fault: CandidateFault? {
        if case .fault(let fault) = self { return fault }
        return nil
    }
}

/// Expects the answers to be zeros-of-the-right-shape results everywhere except at `faults`, where
/// they must be faults of the given kind whose message names the case.
func expectAnswers(
    _ answers: [CandidateAnswer], for calls: [LossCase], faults: [Int: CandidateFault.Kind],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(answers.count == calls.count, sourceLocation: sourceLocation)
    for (index, answer) in answers.enumerated() {
        if let kind = faults[index] {
            #expect(answer.fault?.kind == kind, "case \(index): \(answer)", sourceLocation: sourceLocation)
            #expect(
                answer.fault?.message.hasPrefix("case \(index): ") == true, "case \(index): \(answer)",
                sourceLocation: sourceLocation)
        } else {
            let result = answer.result
            #expect(
                result?.loss.shape == calls[index].input.shape, "case \(index): \(answer)",
                sourceLocation: sourceLocation)
            #expect(result?.loss.values.allSatisfy { $0 == 0 } == true, sourceLocation: sourceLocation)
        }
    }
}

/// Whether our child has been reaped: no process (not even a zombie) has its pid.
func isReaped(_ pid: Int32) -> Bool {
    kill(pid, 0) != 0 && errno == ESRCH
}

/// Whether a process (not our child) is dead: gone, or a zombie waiting for its new parent to reap it.
/// Waits up to a second for SIGKILL to land.
func isDead(_ pid: Int32) -> Bool {
    for _ in 0..<200 {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        if let close = stat.lastIndex(of: ")"), stat[close...].hasPrefix(") Z") { return true }
        usleep(5000)
    }
    return false
}
