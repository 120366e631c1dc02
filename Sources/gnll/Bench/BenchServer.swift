import Foundation

/// The line protocol of `gnll bench --serve`:
///
/// ```
/// → {"op":"prepare","dtype":"float32","variance":"heteroscedastic","n":1000,"row_width":10}
/// ← {"ok":true,"n":1000,"checksums":{"input":"…","target":"…","var":"…"},"loss":…}
/// → {"op":"calibrate","kind":"fused","threads":1,"sample_seconds":0.02}
/// ← {"ok":true,"calls":123}
/// → {"op":"sample","kind":"fused","threads":1,"calls":123}
/// ← {"ok":true,"seconds":0.0012}
/// → {"op":"machine"}
/// ← {"ok":true,"nproc":2,"cpu":"…","loadavg":"…"}
/// → {"op":"bye"}
/// ```
struct BenchServer {
    func run() throws {
        var workload: BenchWorkload?
        while let line = readLine() {
            guard let data = line.data(using: .utf8),
                let request = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let op = request["op"] as? String
            else {
                reply(["ok": false, "error": "not a JSON request"])
                continue
            }
            switch op {
            case "bye":
                reply(["ok": true])
                return
            case "machine":
                let machine = BenchMachine.current
                reply(["ok": true, "nproc": machine.processors, "cpu": machine.cpu, "loadavg": machine.load])
            case "prepare":
                guard let dtype = (request["dtype"] as? String).flatMap(BenchDType.init),
                    let variance = (request["variance"] as? String).flatMap(BenchVariance.init),
                    let count = request["n"] as? Int, count > 0
                else {
                    reply(["ok": false, "error": "prepare needs dtype, variance and n"])
                    continue
                }
                workload = nil
                let prepared = BenchWorkload(
                    dtype: dtype, variance: variance, count: count, rowWidth: request["row_width"] as? Int ?? 10)
                prepared.call(.fused, threads: 1)
                workload = prepared
                reply(["ok": true, "n": prepared.count, "checksums": prepared.checksums, "loss": prepared.loss])
            case "calibrate", "sample":
                guard let workload, let kind = (request["kind"] as? String).flatMap(BenchKind.init) else {
                    reply(["ok": false, "error": "prepare first, and name a kind"])
                    continue
                }
                let threads = request["threads"] as? Int ?? 1
                if op == "calibrate" {
                    let seconds = request["sample_seconds"] as? Double ?? 0.02
                    reply(["ok": true, "calls": workload.calibrate(kind, threads: threads, sampleSeconds: seconds)])
                } else {
                    let calls = request["calls"] as? Int ?? 1
                    reply(["ok": true, "seconds": workload.sample(kind, threads: threads, calls: calls)])
                }
            default:
                reply(["ok": false, "error": "unknown op \(op)"])
            }
        }
    }

    func reply(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
