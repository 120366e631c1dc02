import Conformance
import Foundation
import GaussianNLL
import GoldenFiles
import GoldenReplay
import Judge
import Testing

/// The fixture folder, written by Fixtures/make_fixtures.py.
private func fixture(_ name: String) -> String {
    Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures")!
}

/// The repository's golden folder.
private let goldenDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("golden").path

@Suite("Golden file reader")
struct GoldenFileTests {
    @Test("A valid file reads back exactly what make_fixtures.py wrote")
    func valid() throws {
        let file = try GoldenFile(path: fixture("valid.h5"))
        #expect(file.profile == .torch2_10)
        #expect(file.provenance["torch_version"] == "2.15.0")
        #expect(file.provenance["seed"] == "7")
        #expect(file.cases.map(\.name) == ["a.ok", "b.error"])
        let ok = file.cases[0]
        #expect(ok.category == "basic")
        #expect(ok.call.input.values == [1, 2])
        #expect(ok.call.variance.tensor?.values == [1, 2])
        #expect(ok.call.reduction == "sum")
        #expect(ok.call.gradOutput?.shape == [])
        guard case .success(let result) = ok.expected else {
            Issue.record("expected a result")
            return
        }
        #expect(result.loss.dtype == .float32 && result.loss.shape == [])
        #expect(result.gradients?.variance?.values == [0, -0.25])
        let error = file.cases[1]
        #expect(error.call.input.dtype == .float16 && error.call.input.shape == [1, 1])
        #expect(error.call.gradOutput == nil)
        #expect(
            error.expected
                == .rejection(Rejection(kind: .reduction, exceptionType: "ValueError", message: "avg is not valid")))
    }

    @Test(
        "A malformed file gives an error that names the file, the object and the problem",
        arguments: [
            ("schema2.h5", "/", "schema version 2 is not supported"),
            ("no_outcome.h5", "/cases/a.ok", "outcome"),
            ("bad_dtype.h5", "/cases/a.ok/input", "unknown dtype \"int8\""),
            ("wrong_storage.h5", "/cases/a.ok/input", "a float64 tensor cannot be stored as float32"),
            ("bad_kind.h5", "/cases/b.error", "unknown error_kind \"explosion\""),
            ("missing_loss.h5", "/cases/a.ok", "dataset loss is missing"),
            // Declared, never written: refused before anything is allocated for it.
            (
                "huge_dataset.h5", "/cases/a.ok",
                "its tensors hold more than 2097152 elements together (at input), the most a golden case may hold"
            ),
            (
                "huge_total.h5", "/cases/c17/var",
                "its 1900000 elements (shape [1900000]) would take the file's tensors past 256 MiB decoded"
            ),
            // Within every byte limit, but more elements than the oracle and judge may take on for one case.
            (
                "many_elements.h5", "/cases/a.ok",
                "its tensors hold more than 2097152 elements together (at target), the most a golden case may hold"
            ),
            (
                "broad_loss.h5", "/cases/a.ok",
                "its loss would have 2250000 elements, more than the 2097152 a golden case may have"
            ),
            ("wrong_case_count.h5", "/", "case_count is 3, but /cases holds 2 cases"),
            ("no_cases.h5", "/cases", "holds no case: nothing would be replayed"),
        ])
    func malformed(name: String, object: String, problem: String) {
        do {
            _ = try GoldenFile(path: fixture(name))
            Issue.record("\(name) was accepted")
        } catch {
            let text = error.description
            #expect(text.contains(name), "\(text)")
            #expect(text.contains(object), "\(text)")
            #expect(text.contains(problem), "\(text)")
        }
    }

    @Test("A truncated file is an error at every cut, never a crash")
    func truncated() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("valid.h5")))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gnll-golden-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            let path = folder.appendingPathComponent("cut-\(cut).h5").path
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(throws: GoldenFileError.self) { try GoldenFile(path: path) }
        }
    }

    @Test("A missing file is an error naming it")
    func missing() {
        do {
            _ = try GoldenFile(path: "/nonexistent/golden.h5")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description.contains("/nonexistent/golden.h5"))
        }
    }
}

@Suite("Golden replay")
struct GoldenReplayTests {
    /// Every committed golden file replays against the reference with 0 failures, and PyTorch's own
    /// values pass the tolerance model (the replay reports an oracle disagreement otherwise).
    @Test(
        "The reference reproduces every committed golden file",
        arguments: ["torch-2.15.0", "torch-2.9.1", "torch-2.1.2"])
    func replay(release: String) throws {
        let file = try GoldenFile(path: "\(goldenDirectory)/\(release).h5")
        #expect(file.cases.count >= 1000)
        let session = CandidateSession(candidate: ReferenceCandidate(profile: file.profile), profile: file.profile)
        let failures = GoldenReplayCheck.replay(file.cases, in: session).flatMap(\.problems)
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test("A recorded rejection kind that the oracle contradicts is an error of the suite, never a failure")
    func relabelledRejection() throws {
        let file = try GoldenFile(path: fixture("relabelled.h5"))
        let check = try #require(GoldenReplayCheck.checks(for: file).first { $0.id == "golden.errors" })
        let context = CheckContext(
            candidate: ReferenceCandidate(profile: file.profile), profile: file.profile, seed: 1, casesPerProperty: 1,
            reproduction: { $0 })
        let result = check.run(in: context)
        #expect(result.status == .error)
        #expect(
            result.failure?.message
                == "case b.error: the oracle disagrees with PyTorch: PyTorch's recorded rejection is var_size: "
                + "ValueError: avg is not valid, but the oracle rejects the call with reduction: ValueError: avg is not "
                + "valid")
        // The same file with its true kind replays cleanly.
        let valid = try GoldenFile(path: fixture("valid.h5"))
        let session = CandidateSession(candidate: ReferenceCandidate(profile: valid.profile), profile: valid.profile)
        #expect(GoldenReplayCheck.replay(valid.cases, in: session).allSatisfy { $0.disagreement == nil })
    }

    @Test("gnll golden diff's comparison rediscovers the 2.10 changes")
    func diff() throws {
        let old = try GoldenFile(path: "\(goldenDirectory)/torch-2.9.1.h5")
        let new = try GoldenFile(path: "\(goldenDirectory)/torch-2.15.0.h5")
        let changes = GoldenComparison(old: old, new: new).changes
        let categories = Set(changes.map(\.category))
        #expect(categories.isSuperset(of: ["var_forms", "errors", "eps"]))
        // (1,4) for (3,4): rejected by 2.9.1, accepted by 2.15.0.
        #expect(changes.contains { $0.summary.hasPrefix("error var_size") && $0.summary.contains("→ ok") })
    }
}

@Suite("Golden file transfer encoding")
struct GoldenFileTransferTests {
    /// Every field of every case, as text: two files are equal when these are.
    private func fields(_ file: GoldenFile) -> [String] {
        [file.path, file.profile.rawValue, "\(file.provenance.sorted { $0.key < $1.key })"]
            + file.cases.map { golden in
                "\(golden.name) \(golden.category) \(golden.description) \(golden.call) \(golden.expected)"
            }
    }

    @Test("A committed golden file comes back unchanged, every case and value", arguments: ["torch-2.9.1.h5"])
    func roundTrip(name: String) throws {
        let file = try GoldenFile(path: goldenDirectory + "/" + name)
        let decoded = try GoldenFile(transferEncoded: file.transferEncoded(), source: "test")
        #expect(decoded.cases.count == file.cases.count)
        #expect(fields(decoded) == fields(file))
        // Bit patterns too: -0.0 and NaN payloads survive (the text of a value would hide them).
        let bits = { (file: GoldenFile) in file.cases.flatMap { $0.call.input.values.map(\.bitPattern) } }
        #expect(bits(decoded) == bits(file))
    }

    @Test("Truncated, padded or foreign bytes give an error naming the source, never a crash")
    func malformed() throws {
        let bytes = try GoldenFile(path: fixture("valid.h5")).transferEncoded()
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: GoldenFileError.self) {
                _ = try GoldenFile(transferEncoded: Array(bytes.prefix(length)), source: "cut")
            }
        }
        #expect(throws: GoldenFileError.self) { _ = try GoldenFile(transferEncoded: bytes + [0], source: "padded") }
        var foreign = bytes
        foreign[0] ^= 0xFF
        do {
            _ = try GoldenFile(transferEncoded: foreign, source: "foreign")
            Issue.record("foreign bytes were accepted")
        } catch {
            #expect(error.description.hasPrefix("foreign"), "\(error)")
            #expect(error.description.contains("not from this version of gnll"), "\(error)")
        }
        // A huge count must be refused before anything is allocated for it.
        var huge = Array(bytes.prefix(Array("gnll-golden-transfer-1\n".utf8).count))
        huge += [UInt8](repeating: 0xFF, count: 8)
        #expect(throws: GoldenFileError.self) { _ = try GoldenFile(transferEncoded: huge, source: "huge") }
    }
}
