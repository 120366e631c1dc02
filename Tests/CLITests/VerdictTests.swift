import Foundation
import GNLLTestSupport
import Testing

/// Writes a Python candidate that answers the handshake with `hello` (a JSON object) and every evaluation with
/// `answer` (a Python expression of the request `r`), and returns the command that starts it.
func pythonCandidate(_ name: String, hello: String, answer: String) throws -> String {
    let path = temporaryFile("\(name).py")
    let script = """
        import json, sys
        for line in sys.stdin:
            r = json.loads(line)
            if r["op"] == "hello":
                print(json.dumps(\(hello)), flush=True)
            elif r["op"] == "eval":
                print(json.dumps(\(answer)), flush=True)
            else:
                break
        """
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    return "python3 \(path)"
}

/// What the verdict says for runs that prove nothing, and how the suite's own limits are reported.
@Suite("gnll verdicts", .serialized)
struct VerdictTests {
    static let everything =
        #"{"ok": True, "protocol": 1, "name": "refuser", "version": "0", "#
        + #""dtypes": ["float16", "bfloat16", "float32", "float64"], "features": ["grad", "scalar_var", "mixed_dtype"]}"#

    @Test("A candidate that declares everything and answers unsupported to every call is not conformant")
    func unsupportedEverywhere() throws {
        let candidate = try pythonCandidate(
            "refuser", hello: Self.everything,
            answer: #"{"id": r["id"], "ok": False, "error": {"kind": "unsupported", "message": "no"}}"#)
        defer { try? FileManager.default.removeItem(atPath: temporaryFile("refuser.py")) }
        let markdown = temporaryFile("refuser.md")
        defer { try? FileManager.default.removeItem(atPath: markdown) }
        let run = try gnll([
            "verify", "--candidate", candidate, "--check", "golden.errors", "--check", "property.random.oracle",
            "--budget", "quick", "--no-regressions", "--markdown", markdown,
        ])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("FAIL golden.errors: case "))
        #expect(run.stdout.contains("answered unsupported (no) for a call within its declared dtypes and features"))
        #expect(run.stdout.hasSuffix("0 passed, 2 failed, 0 errors, 0 not run\n"), "\(run.stdout)")
        let summary = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(summary.hasPrefix("## ❌ Not conformant: 0 passed, 2 failed, 0 errors, 0 not run\n"))
    }

    @Test("A hello that declares no dtype is refused: exit 2")
    func noDtypes() throws {
        let candidate = try pythonCandidate(
            "nodtypes", hello: #"{"ok": True, "protocol": 1, "name": "x", "version": "0", "dtypes": []}"#,
            answer: #"{"id": r["id"], "ok": False, "error": {"kind": "unsupported", "message": "no"}}"#)
        defer { try? FileManager.default.removeItem(atPath: temporaryFile("nodtypes.py")) }
        let run = try gnll(["verify", "--candidate", candidate, "--check", "golden.errors", "--no-regressions"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains(#"field "dtypes": is empty: a candidate must evaluate at least one dtype"#))
    }

    @Test("A check whose cases all need what the candidate lacks is NOT RUN, and the run is not conformant")
    func notRun() throws {
        let candidate = try pythonCandidate(
            "noscalar",
            hello: #"{"ok": True, "protocol": 1, "name": "x", "version": "0", "features": ["grad"]}"#,
            answer: #"{"id": r["id"], "ok": False, "error": {"kind": "unsupported", "message": "no"}}"#)
        defer { try? FileManager.default.removeItem(atPath: temporaryFile("noscalar.py")) }
        let lacking = try gnll([
            "verify", "--candidate", candidate, "--check", "property.scalar_var.equals_filled_tensor",
            "--no-regressions",
        ])
        #expect(lacking.status == 1, "\(lacking.stdout)\(lacking.stderr)")
        #expect(
            lacking.stdout.contains(
                "NOT RUN property.scalar_var.equals_filled_tensor: not run: the candidate takes no Python-float var"))
        #expect(lacking.stdout.hasSuffix("0 passed, 0 failed, 0 errors, 1 not run\n"), "\(lacking.stdout)")
    }
}
