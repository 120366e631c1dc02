import Foundation
import GNLLTestSupport
import Testing

/// Runs the built `gnll` (a sibling of the test bundle) and returns its exit status and output.
func gnll(
    _ arguments: [String], signalAfter seconds: Double? = nil, signalWhen: (() -> Bool)? = nil,
    signal: Int32 = SIGTERM, timeout: TimeInterval = 300
) throws -> (status: Int32, stdout: String, stderr: String) {
    let outcome = try runProcess(
        productsDirectory.appendingPathComponent("gnll"), arguments, currentDirectory: repositoryRoot,
        environment: gnllEnvironment, timeout: timeout, signalAfter: seconds, signalWhen: signalWhen, signal: signal)
    return (outcome.status, outcome.stdout, outcome.stderr)
}

/// The environment `gnll` runs in: this one, with the built `gnll` first on the PATH.
var gnllEnvironment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = productsDirectory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    return environment
}

let productsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" {
        if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("gnll").path) { return url }
        url.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: repositoryRoot.path + "/.build/debug")
}()

func temporaryFile(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("gnll-cli-\(getpid())-\(name)").path
}

@Suite("gnll command line", .serialized)
struct CLITests {
    @Test("verify --reference: golden replay passes, closing line, exit 0, results JSON")
    func verifyReference() throws {
        let results = temporaryFile("reference.json")
        defer { try? FileManager.default.removeItem(atPath: results) }
        let run = try gnll(["verify", "--reference", "--budget", "quick", "--json", results])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let last = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasSuffix("0 failed, 0 errors, 0 not run"), "\(last)")
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [String: Any]
        #expect(json?["schemaVersion"] as? Int == 1)
        #expect((json?["checks"] as? [Any])?.isEmpty == false)
        #expect((json?["summary"] as? [String: Int])?["failed"] == 0)
    }

    @Test("verify through the protocol against gnll serve passes")
    func verifyServed() throws {
        let run = try gnll(["verify", "--candidate", "gnll serve", "--budget", "quick", "--check", "golden.errors"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("1 passed, 0 failed, 0 errors, 0 not run"))
    }

    @Test("A candidate that declares another profile is judged under it and fails")
    func wrongProfile() throws {
        let run = try gnll([
            "verify", "--candidate", "gnll serve --profile torch-2.6", "--profile", "torch-2.10", "--check",
            "golden.var_forms",
        ])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL golden.var_forms"))
        #expect(run.stdout.contains("reproduce: gnll verify --candidate"))
    }

    @Test("A candidate that declares an older profile is replayed that profile's golden file, and passes")
    func declaredProfile() throws {
        // The golden file of the current profile is read while the candidate starts; torch-2.6's is read after.
        let run = try gnll([
            "verify", "--candidate", "gnll serve --profile torch-2.6", "--check", "golden.var_forms", "--json",
            temporaryFile("declared.json"),
        ])
        defer { try? FileManager.default.removeItem(atPath: temporaryFile("declared.json")) }
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("1 passed, 0 failed, 0 errors, 0 not run"))
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: temporaryFile("declared.json"))))
            as? [String: Any]
        #expect(json?["profile"] as? String == "torch-2.6")
        let title = ((json?["checks"] as? [[String: Any]])?.first?["title"] as? String) ?? ""
        #expect(title.contains("torch-2.9.1.h5"), "\(title)")
    }

    @Test("Usage errors and candidates that cannot start exit 2 with a clear message")
    func usageErrors() throws {
        let neither = try gnll(["verify"])
        #expect(neither.status == 2)
        #expect(neither.stderr.contains("exactly one of --candidate CMD or --reference"))
        let garbage = try gnll(["verify", "--candidate", "echo garbage"])
        #expect(garbage.status == 2)
        #expect(garbage.stderr.contains("start_failed"))
        let unknown = try gnll(["verify", "--reference", "--check", "no.such.check"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no.such.check"))
    }

    @Test("A candidate slower to start than --start-timeout is a start failure that names the limit")
    func startTimeout() throws {
        let run = try gnll(["verify", "--candidate", "sleep 30", "--start-timeout", "1", "--check", "golden.errors"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("start_failed: no hello response within 1.0 seconds"), "\(run.stderr)")
        let invalid = try gnll(["verify", "--reference", "--start-timeout", "0"])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("--start-timeout must be from 0.001 to 86400.0, not 0.0"), "\(invalid.stderr)")
    }

    @Test("Property checks alone read no golden file; golden checks name a missing golden folder")
    func goldenFolder() throws {
        let missing = "/nonexistent-gnll-golden"
        let properties = try gnll([
            "verify", "--reference", "--check", "property.random.oracle", "--cases", "20", "--no-regressions",
            "--golden-dir", missing,
        ])
        #expect(properties.status == 0, "\(properties.stdout)\(properties.stderr)")
        #expect(properties.stdout.hasSuffix("1 passed, 0 failed, 0 errors, 0 not run\n"))
        let golden = try gnll(["verify", "--reference", "--check", "golden.errors", "--golden-dir", missing])
        #expect(golden.status == 2)
        #expect(golden.stderr.contains("cannot read the golden folder \(missing): it does not exist"))
    }

    @Test("SIGTERM writes the results so far, marked incomplete")
    func interrupted() throws {
        let results = temporaryFile("interrupted.json")
        defer { try? FileManager.default.removeItem(atPath: results) }
        // A candidate that answers the handshake and then never answers an evaluation.
        let silent =
            "python3 -c \"import sys; sys.stdin.readline(); print('{\\\"ok\\\":true,\\\"protocol\\\":1,"
            + "\\\"name\\\":\\\"x\\\",\\\"version\\\":\\\"0\\\"}', flush=True); import time; time.sleep(60)\""
        let run = try gnll(["verify", "--candidate", silent, "--json", results, "--timeout", "30"], signalAfter: 3)
        #expect(run.status == 128 + SIGTERM)
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [String: Any]
        #expect(json?["incomplete"] as? Bool == true)
    }

    @Test("golden verify replays every file; golden diff lists the 2.10 changes and exits 1")
    func golden() throws {
        let verify = try gnll(["golden", "verify", "golden/torch-2.15.0.h5"])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasSuffix("1867 passed, 0 failed\n"))
        let diff = try gnll(["golden", "diff", "golden/torch-2.9.1.h5", "golden/torch-2.15.0.h5"])
        #expect(diff.status == 1)
        #expect(diff.stdout.contains("== var_forms"))
        #expect(diff.stdout.contains("1867 cases compared, 87 changed"))
    }
}
