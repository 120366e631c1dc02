import Foundation
import GNLLTestSupport
import Testing

/// Runs `gnll bench --serve` on `requests` (one JSON line each) and returns its exit status and the answers, parsed.
func benchServe(_ requests: [String]) throws -> (status: Int32, answers: [[String: Any]], stderr: String) {
    let input = temporaryFile("bench-requests-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(atPath: input) }
    try (requests.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
    let outcome = try runProcess(
        URL(fileURLWithPath: "/bin/sh"), ["-c", "exec gnll bench --serve < \"$0\"", input],
        currentDirectory: repositoryRoot, environment: gnllEnvironment, timeout: 120)
    let answers = try outcome.stdout.split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
    }
    return (outcome.status, answers, outcome.stderr)
}

/// `gnll bench --serve`, the server `Tools/bench_vs_torch.py` drives. The expected checksums and losses were computed
/// with the script's own data generator (`make_data` and `checksum` in Tools/bench_vs_torch.py: SplitMix64 in numpy,
/// the loss in float64 as `mean(0.5 * (log(v) + (x - t)^2 / v))`), not by gnll.
@Suite("gnll bench --serve: the requests of Tools/bench_vs_torch.py")
struct BenchServeTests {
    @Test("prepare gives the script's data (XOR checksums) and the loss; calibrate, sample and bye answer")
    func protocolRoundTrip() throws {
        let run = try benchServe([
            #"{"op":"machine"}"#,
            #"{"op":"prepare","dtype":"float64","variance":"heteroscedastic","n":4}"#,
            #"{"op":"prepare","dtype":"float64","variance":"homoscedastic","n":6,"row_width":3}"#,
            #"{"op":"prepare","dtype":"float32","variance":"heteroscedastic","n":5}"#,
            #"{"op":"calibrate","kind":"fused","threads":1,"sample_seconds":0.001}"#,
            #"{"op":"sample","kind":"fused-alloc","threads":2,"calls":3}"#,
            #"{"op":"sample","kind":"copy","calls":2}"#,
            #"{"op":"bye"}"#,
            #"{"op":"machine"}"#,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        // bye ends the server: the request after it gets no answer.
        try #require(run.answers.count == 8, "\(run.answers)")
        #expect(run.answers.allSatisfy { $0["ok"] as? Bool == true }, "\(run.answers)")
        #expect((run.answers[0]["nproc"] as? Int ?? 0) >= 1)

        let expected: [(n: Int, checksums: [String: String], loss: Double, tolerance: Double)] = [
            (
                4, ["input": "219f6c00000000", "target": "802689f040000000", "var": "20f1f940000000"],
                3.060632573391005, 1e-14
            ),
            (
                6, ["input": "3f28c900000000", "target": "1b291300000000", "var": "1458fa40000000"],
                1.4951637512760332, 1e-14
            ),
            (5, ["input": "3e6c8c54", "target": "bee39d88", "var": "3e9bb0af"], 2.522100062147587, 1e-6),
        ]
        for (index, want) in expected.enumerated() {
            let answer = run.answers[1 + index]
            #expect(answer["n"] as? Int == want.n, "\(answer)")
            #expect(answer["checksums"] as? [String: String] == want.checksums, "\(answer)")
            let loss = try #require(answer["loss"] as? Double, "\(answer)")
            #expect(abs(loss - want.loss) <= want.tolerance * want.loss, "\(loss) against \(want.loss)")
        }
        #expect((run.answers[4]["calls"] as? Int ?? 0) >= 1, "\(run.answers[4])")
        for answer in run.answers[5...6] {
            let seconds = try #require(answer["seconds"] as? Double, "\(answer)")
            #expect(seconds > 0 && seconds < 10, "\(answer)")
        }
    }

    @Test(
        "A request that cannot be served gets ok false and a message naming the request and the field",
        arguments: [
            (#"{"op":"sample","kind":"fused"}"#, "sample: no workload: send prepare first"),
            (#"{"op":"prepare","dtype":"float16","variance":"heteroscedastic","n":4}"#, "prepare: dtype float16"),
            (#"{"op":"prepare","dtype":"float32","variance":"heteroscedastic"}"#, "prepare: n is missing"),
            (
                #"{"op":"prepare","dtype":"float32","variance":"heteroscedastic","n":1000000000000}"#,
                "prepare: n must be an integer from 1 to 100000000, not 1000000000000"
            ),
            (#"{"op":"frob"}"#, #"unknown op "frob""#),
            ("not json", "not a JSON object with a string op"),
        ])
    func badRequests(request: String, message: String) throws {
        let run = try benchServe([request, #"{"op":"bye"}"#])
        #expect(run.status == 0, "\(run.stderr)")
        try #require(run.answers.count == 2, "\(run.answers)")
        #expect(run.answers[0]["ok"] as? Bool == false, "\(run.answers[0])")
        #expect((run.answers[0]["error"] as? String ?? "").contains(message), "\(run.answers[0])")
        #expect(run.answers[1]["ok"] as? Bool == true)
    }

    @Test("A workload's bad sample options are refused by name, and the workload stays prepared")
    func badSampleOptions() throws {
        let run = try benchServe([
            #"{"op":"prepare","dtype":"float32","variance":"homoscedastic","n":20}"#,
            #"{"op":"sample","kind":"oracle"}"#,
            #"{"op":"sample","kind":"fused","threads":0}"#,
            #"{"op":"calibrate","kind":"fused","sample_seconds":1e300}"#,
            #"{"op":"sample","kind":"fused","calls":1}"#,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        try #require(run.answers.count == 5, "\(run.answers)")
        #expect((run.answers[1]["error"] as? String ?? "").contains("sample: kind oracle is not valid"))
        #expect((run.answers[2]["error"] as? String ?? "").contains("sample: threads must be an integer from 1 to 256"))
        #expect((run.answers[3]["error"] as? String ?? "").contains("calibrate: sample_seconds must be a number"))
        #expect(run.answers[4]["ok"] as? Bool == true, "\(run.answers[4])")
    }

    @Test("Without --serve, gnll bench is a usage error that points to the Benchmarks package")
    func needsServe() throws {
        let run = try gnll(["bench"], timeout: 60)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("run it with --serve"), "\(run.stderr)")
        #expect(run.stderr.contains("Tools/check_benchmarks.sh"), "\(run.stderr)")
    }
}
