import Foundation
import GNLLTestSupport
import Testing

/// A fresh folder for one test's files.
func scratchFolder(_ name: String) throws -> String {
    try artifactsFolder("cli-\(name)-\(UUID().uuidString)").path
}

/// A candidate that answers the handshake, creates the file `marker` when the first evaluation comes, and never
/// answers it; `token` marks its command line.
func silentCandidate(_ token: String, marker: String) -> String {
    "python3 -c \"import sys, time; sys.stdin.readline(); print('{\\\"ok\\\":true,\\\"protocol\\\":1,"
        + "\\\"name\\\":\\\"x\\\",\\\"version\\\":\\\"0\\\"}', flush=True); sys.stdin.readline(); "
        + "open(sys.argv[1], 'w').close(); time.sleep(600)\" \(marker) \(token)"
}

/// Whether a file exists.
func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

/// Reads a results file as JSON.
func resultsJSON(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
}

@Suite("gnll under hostile input: numbers, output paths, signals, concurrent runs", .serialized)
struct RobustnessTests {
    @Test(
        "Every numeric option is checked for a finite, sane range, with a message that names it",
        arguments: [
            (["verify", "--reference", "--timeout", "inf"], "--timeout must be from 0.001 to 86400.0, not inf"),
            (["verify", "--reference", "--timeout", "1e300"], "--timeout must be from 0.001 to 86400.0, not 1e+300"),
            (["verify", "--reference", "--timeout", "1e-300"], "--timeout must be from 0.001 to 86400.0, not 1e-300"),
            (["verify", "--reference", "--timeout", "nan"], "--timeout must be from 0.001 to 86400.0, not nan"),
            (["verify", "--reference", "--start-timeout", "inf"], "--start-timeout must be from 0.001 to 86400.0"),
            (["verify", "--reference", "--cases", "0"], "--cases must be from 1 to 1000000, not 0"),
            (["verify", "--reference", "--cases", "-1"], "--cases must be from 1 to 1000000, not -1"),
            (["verify", "--reference", "--seed", "-1"], "--seed must be an integer from 0 to 18446744073709551615"),
            (["fuzz", "--reference", "--seconds", "inf"], "--seconds must be from 0.001 to 10000000.0, not inf"),
            (["fuzz", "--reference", "--batch", "100000000"], "--batch must be from 1 to 4096, not 100000000"),
            (["fuzz", "--reference", "--cases", "0"], "--cases must be from 1 to"),
            (["fuzz", "--reference", "--seed", "-1"], "--seed must be an integer from 0"),
            (["replay", "x.json", "--reference", "--timeout", "inf"], "--timeout must be from 0.001 to 86400.0"),
        ])
    func numericOptions(arguments: [String], message: String) throws {
        let run = try gnll(arguments, timeout: 60)
        #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }

    @Test(
        "Every way to exit 2 prints a plain error line, never the ExitCode value or a Foundation error domain",
        arguments: [
            ["golden", "verify", "--golden-dir", "/nonexistent-gnll-folder"],
            ["golden", "verify", "/etc/hostname"],
            ["golden", "diff", "/nonexistent-gnll-a.h5", "/nonexistent-gnll-b.h5"],
            ["replay", "/nonexistent-gnll.json", "--reference"],
            ["report", "render", "/nonexistent-gnll.json", "--format", "json"],
            ["report", "gate", "/nonexistent-gnll.json", "--expected-failures", "/nonexistent-gnll.txt"],
            ["verify", "--candidate", "false", "--no-golden"],
        ])
    func exitTwoIsPlain(arguments: [String]) throws {
        let run = try gnll(arguments, timeout: 60)
        #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: "), "\(arguments): \(run.stderr)")
        for leak in ["ExitCode(", "rawValue", "NSCocoaErrorDomain", "Error Domain"] {
            #expect(!run.stderr.contains(leak), "\(arguments): \(run.stderr)")
        }
    }

    @Test("Output paths are checked before the run: exit 2, a plain message naming the option and the path")
    func outputsCheckedFirst() throws {
        let folder = try scratchFolder("outputs")
        for (option, path, reason) in [
            ("--json", "/nonexistent-gnll-folder/r.json", "the folder /nonexistent-gnll-folder does not exist"),
            ("--json", "", "the path is empty"),
            ("--html", folder, "it is a folder"),
            ("--junit", "\(folder)/missing/j.xml", "the folder \(folder)/missing does not exist"),
        ] {
            let started = Date()
            let run = try gnll(["verify", "--reference", option, path], timeout: 60)
            #expect(run.status == 2)
            let shown = path.isEmpty ? "\"\"" : path
            #expect(run.stderr == "error: \(option): cannot write \(shown): \(reason)\n", "\(run.stderr)")
            #expect(run.stdout.isEmpty, "the run must not start: \(run.stdout)")
            #expect(Date().timeIntervalSince(started) < 10)
        }
        let render = try gnll(["report", "render", "no-such-results.json", "-o", "/nonexistent-gnll-folder/r.md"])
        #expect(render.status == 2)
        #expect(
            render.stderr.contains("-o: cannot write /nonexistent-gnll-folder/r.md: the folder"), "\(render.stderr)")
    }

    @Test("A write that fails at the end still prints the verdict, then the error, and exits 2")
    func verdictDespiteFailedWrite() throws {
        var status = stat()
        try #require(stat("/dev/full", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
        let run = try gnll(["verify", "--reference", "--check", "golden.errors", "--json", "/dev/full"])
        #expect(run.status == 2)
        #expect(run.stdout.hasSuffix("1 passed, 0 failed, 0 errors, 0 not run\n"), "\(run.stdout)")
        #expect(run.stderr.contains("error: --json: cannot write /dev/full: No space left on device"), "\(run.stderr)")
        // The device is written through, never replaced.
        #expect(stat("/dev/full", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }

    @Test("A link is followed and its target replaced; a FIFO and a descriptor are written through")
    func outputKinds() throws {
        let folder = try scratchFolder("kinds")
        let results = "\(folder)/results.json"
        let reference = try gnll(["verify", "--reference", "--check", "golden.errors", "--json", results])
        #expect(reference.status == 0, "\(reference.stderr)")
        let rendered = try gnll(["report", "render", results, "--format", "json", "-o", "\(folder)/rendered.json"])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let expected = try String(contentsOfFile: "\(folder)/rendered.json", encoding: .utf8)
        #expect(expected.contains("\"golden.errors\""))

        // A symbolic link to a file: the link stays, its target gets the new text.
        let target = "\(folder)/target.json"
        try "stale".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/link.json", withDestinationPath: "target.json")
        let linked = try gnll(["report", "render", results, "--format", "json", "-o", "\(folder)/link.json"])
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/link.json") == "target.json")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == expected)

        // A FIFO: written through to its reader, and still a FIFO afterwards.
        let fifo = "\(folder)/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        nonisolated(unsafe) var bytes: [UInt8] = []
        let reading = DispatchSemaphore(value: 0)
        // A thread of its own: the shared pool may be busy with other tests, and gnll waits for this reader.
        Thread {
            defer { reading.signal() }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let count = read(reader, &buffer, buffer.count)
                if count > 0 {
                    bytes += buffer[..<count]
                } else if count == 0 && !bytes.isEmpty {
                    break  // the writer has closed it
                } else {
                    Thread.sleep(forTimeInterval: 0.01)
                }
            }
        }.start()
        let piped = try gnll(["report", "render", results, "--format", "json", "-o", fifo])
        #expect(piped.status == 0, "\(piped.stderr)")
        reading.wait()
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)

        // A descriptor of the process: /dev/fd/1 is its standard output.
        let described = try gnll(["report", "render", results, "--format", "json", "-o", "/dev/fd/1"])
        #expect(described.status == 0, "\(described.stderr)")
        #expect(described.stdout == expected)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [
                "fifo.json", "link.json", "rendered.json", "results.json", "target.json",
            ])
    }

    @Test("A candidate that cannot start leaves a results file that says so")
    func startFailureResults() throws {
        let results = "\(try scratchFolder("start"))/results.json"
        let run = try gnll(["verify", "--candidate", "exit 3", "--json", results])
        #expect(run.status == 2)
        #expect(run.stderr.contains("start_failed"), "\(run.stderr)")
        let json = try resultsJSON(results)
        #expect(json["incomplete"] as? Bool == true)
        #expect((json["incompleteReason"] as? String)?.contains("start_failed") == true, "\(json)")
        #expect((json["checks"] as? [Any])?.isEmpty == true)
    }

    @Test("A signal while the candidate starts ends it with gnll: no process is left")
    func signalDuringStart() throws {
        let token = "gnll-start-\(UUID().uuidString)"
        let folder = try scratchFolder("start-signal")
        let results = "\(folder)/results.json"
        let candidate = "touch \(folder)/started; python3 -c 'import time; time.sleep(600)' \(token)"
        let run = try gnll(
            ["verify", "--candidate", candidate, "--start-timeout", "300", "--json", results],
            signalWhen: { exists("\(folder)/started") && !processes(withCommandLineContaining: token).isEmpty },
            signal: SIGINT)
        #expect(run.status == 128 + SIGINT, "\(run.stderr)")
        #expect(waitForNoProcesses(withCommandLineContaining: token).isEmpty, "the candidate outlived gnll")
        #expect(try resultsJSON(results)["incompleteReason"] as? String == "interrupted by SIGINT")
    }

    @Test("SIGHUP is handled like SIGTERM: an interrupted shard keeps its shard record, the candidate is killed")
    func hangUp() throws {
        let token = "gnll-hup-\(UUID().uuidString)"
        let folder = try scratchFolder("hup")
        let results = "\(folder)/results.json"
        let candidate = silentCandidate(token, marker: "\(folder)/evaluating")
        let run = try gnll(
            ["verify", "--candidate", candidate, "--shard", "1/2", "--json", results, "--timeout", "300"],
            signalWhen: { exists("\(folder)/evaluating") }, signal: SIGHUP)
        #expect(run.status == 128 + SIGHUP, "\(run.stderr)")
        #expect(waitForNoProcesses(withCommandLineContaining: token).isEmpty, "the candidate outlived gnll")
        let json = try resultsJSON(results)
        #expect(json["incomplete"] as? Bool == true)
        #expect(json["incompleteReason"] as? String == "interrupted by SIGHUP")
        let shard = json["shard"] as? [String: Any]
        #expect(shard?["index"] as? Int == 1)
        #expect(shard?["count"] as? Int == 2)
        #expect((shard?["checks"] as? [String])?.contains("golden.errors") == true)
    }

    @Test("A helper that the candidate starts in a session of its own (setsid) ends with the candidate")
    func setsidHelper() throws {
        let token = "gnll-setsid-\(UUID().uuidString)"
        let candidate = "setsid python3 -c 'import time; time.sleep(600)' \(token) & exec gnll serve"
        let run = try gnll(["verify", "--candidate", candidate, "--check", "golden.errors", "--no-regressions"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let left = waitForNoProcesses(withCommandLineContaining: token)
        #expect(left.isEmpty, "the helper outlived the candidate")
        for pid in left { kill(pid, SIGKILL) }
    }

    @Test("golden probe refuses a FIFO at once instead of blocking on it")
    func goldenFIFO() throws {
        let fifo = "\(try scratchFolder("fifo"))/torch-2.15.0.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = Date()
        let probe = try gnll(["golden", "probe", fifo], timeout: 30)
        #expect(probe.status == 2)
        #expect(probe.stderr.contains("not a regular file"), "\(probe.stderr)")
        let verify = try gnll(["golden", "verify", fifo], timeout: 30)
        #expect(verify.status == 2)
        #expect(verify.stderr.contains("\(fifo): /: not a regular file"), "\(verify.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test("A signal as the results are written: complete results are never marked incomplete, no file is left over")
    func signalDuringFinalWrite() throws {
        let folder = try scratchFolder("final")
        let results = "\(folder)/results.json"
        for round in 0..<6 {
            let process = Process()
            process.executableURL = productsDirectory.appendingPathComponent("gnll")
            process.arguments = ["verify", "--reference", "--check", "golden.errors", "--json", results, "--quiet"]
            process.currentDirectoryURL = repositoryRoot
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // SIGINT the moment the temporary file of the results appears.
            while process.isRunning {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                if names.contains(where: { $0.hasPrefix(".results.json.") }) {
                    kill(process.processIdentifier, SIGINT)
                    break
                }
                usleep(200)
            }
            process.waitUntilExit()
            let status = process.terminationStatus
            let json = try resultsJSON(results)
            switch status {
            case 0: #expect(json["incomplete"] as? Bool == false, "round \(round): complete run marked incomplete")
            case 128 + SIGINT: #expect(json["incomplete"] as? Bool == true, "round \(round)")
            default: Issue.record("round \(round): exit status \(status)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["results.json"], "round \(round)")
            try FileManager.default.removeItem(atPath: results)
        }
    }

    @Test("Without a terminal, a plain progress line comes every 10 seconds, also during a long check")
    func plainProgress() throws {
        // A relay to `gnll serve` that holds its first evaluation for 15 seconds.
        let relay = """
            python3 -c '
            import subprocess, sys, time
            served = subprocess.Popen(["gnll", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            held = False
            for line in sys.stdin:
                if "\\"eval\\"" in line and not held:
                    time.sleep(15)
                    held = True
                served.stdin.write(line)
                served.stdin.flush()
                sys.stdout.write(served.stdout.readline())
                sys.stdout.flush()
            '
            """
        let run = try gnll(["verify", "--candidate", relay, "--check", "golden.errors", "--timeout", "60"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: ") }
        #expect(lines.first?.hasPrefix("progress: 0/1 checks, 0 cases, 0 failing") == true, "\(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}"), "no terminal control sequences in a log")
    }
}
