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

    static let fixtures = repositoryRoot.appendingPathComponent("Tests/GoldenFilesTests/Fixtures").path

    /// A new folder holding copies of the named golden fixtures.
    static func goldenFolder(_ name: String, fixtures names: [String]) throws -> String {
        let folder = temporaryFile(name)
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for fixture in names {
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(fixture)", toPath: "\(folder)/\(fixture)")
        }
        return folder
    }

    @Test("No golden file for the profile: golden.files is NOT RUN and the run not conformant, unless --no-golden")
    func missingGolden() throws {
        // Empty, and holding only another profile's file: the same.
        for (name, fixtures) in [("empty-golden", []), ("other-golden", ["valid.h5"])] {
            let folder = try Self.goldenFolder(name, fixtures: fixtures)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let run = try gnll([
                "verify", "--reference", "--profile", "torch-2.6", "--golden-dir", folder, "--check", "golden.files",
                "--no-regressions",
            ])
            #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
            #expect(
                run.stdout.contains(
                    "NOT RUN golden.files: not run: no golden file in \(folder) records torch-2.6, so no recorded "
                        + "PyTorch outcome was replayed (give --golden-dir, or --no-golden to verify without golden "
                        + "replay)"))
            #expect(run.stdout.hasSuffix("0 passed, 0 failed, 0 errors, 1 not run\n"))
        }
        let opted = try gnll(["verify", "--reference", "--no-golden", "--budget", "quick", "--no-regressions"])
        #expect(opted.status == 0, "\(opted.stdout)\(opted.stderr)")
        #expect(!opted.stdout.contains("golden."))
        #expect(opted.stdout.hasSuffix("27 passed, 0 failed, 0 errors, 0 not run\n"), "\(opted.stdout)")
        let both = try gnll(["verify", "--reference", "--no-golden", "--golden-dir", "golden"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--no-golden and --golden-dir exclude each other."))
    }

    @Test("golden verify: a missing folder or a file without cases exits 2; a relabelled rejection is an ERROR")
    func goldenVerifyErrors() throws {
        let missing = try gnll(["golden", "verify", "--golden-dir", "/nonexistent/golden"])
        #expect(missing.status == 2, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stderr.contains("cannot read the golden folder /nonexistent/golden: it does not exist"))
        let empty = try gnll(["golden", "verify", "\(Self.fixtures)/no_cases.h5"])
        #expect(empty.status == 2, "\(empty.stdout)\(empty.stderr)")
        #expect(empty.stderr.contains("no_cases.h5: /cases: holds no case: nothing would be replayed"))
        let relabelled = try gnll(["golden", "verify", "\(Self.fixtures)/relabelled.h5"])
        #expect(relabelled.status == 2, "\(relabelled.stdout)\(relabelled.stderr)")
        #expect(
            relabelled.stdout.contains(
                "ERROR \(Self.fixtures)/relabelled.h5: case b.error: the file disagrees with the oracle: PyTorch's "
                    + "recorded rejection is var_size: ValueError: avg is not valid, but the oracle rejects the call "
                    + "with reduction: ValueError: avg is not valid"))
        #expect(relabelled.stdout.hasSuffix("1 passed, 0 failed, 1 error\n"))
        // In gnll verify, the check ends in an error of the suite: no verdict, never a failure of the candidate.
        let folder = try Self.goldenFolder("relabelled-golden", fixtures: ["relabelled.h5"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let verify = try gnll([
            "verify", "--reference", "--golden-dir", folder, "--check", "golden.errors", "--no-regressions",
        ])
        #expect(verify.status == 2, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("ERROR golden.errors: case b.error: the oracle disagrees with PyTorch"))
        #expect(verify.stdout.hasSuffix("0 passed, 0 failed, 1 error, 0 not run\n"), "\(verify.stdout)")
    }

    /// A results file with one passed check `a.x`; `shard` and `extra` are spliced in as JSON members.
    static func results(
        shard: String = "", summary: String = #""passed": 1, "failed": 0, "skipped": 0, "errors": 0"#,
        extra: String = ""
    ) -> String {
        """
        {"schemaVersion": 1, "profile": "torch-2.10", "seed": 1, "budget": "quick", "incomplete": false,
         "candidate": {"name": "c", "version": "1", "profile": "torch-2.10", "dtypes": ["float32"], "features": []},
         "summary": {\(summary)},
         "checks": [{"id": "a.x", "category": "a", "title": "t", "status": "passed"\(extra), "cases": 1,
                     "passedCases": 1, "failedCases": 0, "skippedCases": 0, "worstRatio": 0, "messageMismatches": 0,
                     "ratioHistograms": {}}]\(shard)}
        """
    }

    @Test("report gate refuses one shard of a sharded run; duplicate keys and a wrong summary are refused")
    func resultsFiles() throws {
        let path = temporaryFile("results.json")
        let list = temporaryFile("expected.txt")
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: list)
        }
        try "".write(toFile: list, atomically: true, encoding: .utf8)
        try Self.results().write(toFile: path, atomically: true, encoding: .utf8)
        let whole = try gnll(["report", "gate", path, "--expected-failures", list])
        #expect(whole.status == 0, "\(whole.stdout)\(whole.stderr)")
        #expect(whole.stdout == "1 passed, 0 failed, 0 errors, 0 not run\n")

        try Self.results(shard: #", "shard": {"index": 1, "count": 2, "checks": ["a.x", "a.y"]}"#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        for command in [
            ["report", "gate", path, "--expected-failures", list],
            ["report", "render", path, "--format", "markdown", "--expected-failures", list],
        ] {
            let shard = try gnll(command)
            #expect(shard.status == 2, "\(shard.stdout)\(shard.stderr)")
            #expect(shard.stderr.contains("\(path) holds shard 1/2 of a sharded run (1 of its 2 checks)"))
        }

        try Self.results(extra: #", "status": "failed""#).write(toFile: path, atomically: true, encoding: .utf8)
        for command in [
            ["report", "gate", path, "--expected-failures", list], ["report", "render", path, "--format", "markdown"],
        ] {
            let duplicate = try gnll(command)
            #expect(duplicate.status == 2, "\(duplicate.stdout)\(duplicate.stderr)")
            #expect(
                duplicate.stderr.contains(
                    "\(path) is not a results file: checks[0].status: the key appears more than once"),
                "\(duplicate.stderr)")
        }

        try Self.results(summary: #""passed": 0, "failed": 0, "skipped": 0, "errors": 0"#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let counted = try gnll(["report", "merge", path, "-o", temporaryFile("merged.json")])
        #expect(counted.status == 2, "\(counted.stdout)\(counted.stderr)")
        #expect(counted.stderr.contains("summary.passed is 0, but 1 of the checks have status passed"))
    }

    @Test("A candidate's terminal controls reach the terminal shown, never obeyed")
    func terminalControls() throws {
        let candidate = try pythonCandidate(
            "controls", hello: Self.everything,
            answer:
                #"{"id": r["id"], "ok": False, "error": {"kind": "broadcast", "message": "\u001b]0;pwned\u0007\u009b2J"}}"#
        )
        defer { try? FileManager.default.removeItem(atPath: temporaryFile("controls.py")) }
        let run = try gnll(["verify", "--candidate", candidate, "--check", "golden.reductions", "--no-regressions"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("␛]0;pwned␇\\u{9B}2J"), "\(run.stdout)")
        for control in ["\u{1B}", "\u{07}", "\u{9B}"] { #expect(!run.stdout.contains(control)) }
        // A candidate that fails to start: its stderr tail is quoted in the error, shown too.
        let failing = "printf '\\033]0;pwned\\007 gone' >&2; exit 3"
        let start = try gnll(["verify", "--candidate", failing, "--check", "golden.reductions", "--no-regressions"])
        #expect(start.status == 2, "\(start.stdout)\(start.stderr)")
        #expect(start.stderr.contains("␛]0;pwned␇ gone"), "\(start.stderr)")
        for control in ["\u{1B}", "\u{07}"] { #expect(!start.stderr.contains(control)) }
    }

    @Test("A protocol 1 candidate gets a verdict: its protocol 2 checks are not run and named, never passed")
    func protocolOneCandidate() throws {
        let checks = [
            "golden.errors", "golden.nonfinite_eps", "property.dtype.integer_operands",
            "property.gradient.requires_grad_independent",
        ]
        let arguments = ["--budget", "quick", "--no-regressions"] + checks.flatMap { ["--check", $0] }
        let run = try gnll(["verify", "--candidate", "gnll serve --protocol 1"] + arguments)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        for check in checks.dropFirst() {
            let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("NOT RUN \(check): ") }
            #expect(line?.contains("unsupported: needs protocol 2 (") == true, "\(check): \(run.stdout)")
        }
        #expect(run.stdout.hasSuffix("1 passed, 0 failed, 0 errors, 3 not run\n"), "\(run.stdout)")
        // Listed as expected, the same run gates to exit 0; the protocol 2 candidate passes all four.
        let list = temporaryFile("protocol1-expected.txt")
        defer { try? FileManager.default.removeItem(atPath: list) }
        try checks.dropFirst().map { "\($0)  # needs protocol 2" }.joined(separator: "\n")
            .write(toFile: list, atomically: true, encoding: .utf8)
        let gated = try gnll(
            ["verify", "--candidate", "gnll serve --protocol 1", "--expected-failures", list] + arguments)
        #expect(gated.status == 0, "\(gated.stdout)\(gated.stderr)")
        let current = try gnll(["verify", "--candidate", "gnll serve"] + arguments)
        #expect(current.status == 0, "\(current.stdout)\(current.stderr)")
        #expect(current.stdout.hasSuffix("4 passed, 0 failed, 0 errors, 0 not run\n"), "\(current.stdout)")
    }
}
