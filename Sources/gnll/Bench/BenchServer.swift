import Foundation

/// The line protocol of `gnll bench --serve`, which `Tools/bench_vs_torch.py` speaks:
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
/// ← {"ok":true}
/// ```
///
/// `kind` is `fused`, `fused-alloc` or `copy`; `threads` defaults to 1, `row_width` to 10, `sample_seconds` to 0.02
/// and `calls` to 1. A request that cannot be served gets `{"ok":false,"error":"…"}`, naming the request and the
/// field, and the server reads the next one; it ends at `bye` or at the end of stdin.
struct BenchServer {
    /// The sizes a workload may have, as `n`.
    static let countRange = 1...100_000_000
    /// The thread counts a sample may use.
    static let threadRange = 1...256
    /// How long one calibrated sample may be asked to last, in seconds.
    static let sampleSecondsRange = 0.0...60.0

    func run() {
        var workload: BenchWorkload?
        while let line = readLine() {
            guard let data = line.data(using: .utf8),
                let request = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let op = request["op"] as? String
            else {
                reply(["ok": false, "error": "not a JSON object with a string op: \(line.prefix(200))"])
                continue
            }
            do {
                switch op {
                case "bye":
                    reply(["ok": true])
                    return
                case "machine":
                    let machine = BenchMachine.current
                    reply(["ok": true, "nproc": machine.processors, "cpu": machine.cpu, "loadavg": machine.load])
                case "prepare":
                    workload = nil
                    let prepared = try prepare(request)
                    prepared.call(.fused, threads: 1)
                    workload = prepared
                    reply(["ok": true, "n": prepared.count, "checksums": prepared.checksums, "loss": prepared.loss])
                case "calibrate", "sample":
                    guard let workload else { throw BenchRequestError("\(op): no workload: send prepare first") }
                    let kind = try field(request, "kind", of: op) { (name: String) in BenchKind(rawValue: name) }
                    let threads = try integer(request, "threads", of: op, in: Self.threadRange, default: 1)
                    if op == "calibrate" {
                        let seconds = try number(
                            request, "sample_seconds", of: op, in: Self.sampleSecondsRange, default: 0.02)
                        reply(["ok": true, "calls": workload.calibrate(kind, threads: threads, sampleSeconds: seconds)])
                    } else {
                        let calls = try integer(request, "calls", of: op, in: 1...Int(Int32.max), default: 1)
                        reply(["ok": true, "seconds": workload.sample(kind, threads: threads, calls: calls)])
                    }
                default:
                    throw BenchRequestError(
                        "unknown op \"\(op)\" (the ops are prepare, calibrate, sample, machine and bye)")
                }
            } catch let error as BenchRequestError {
                reply(["ok": false, "error": error.message])
            } catch {
                reply(["ok": false, "error": "\(op): \(error)"])
            }
        }
    }

    /// The workload a `prepare` request names.
    func prepare(_ request: [String: Any]) throws -> BenchWorkload {
        let dtype = try field(request, "dtype", of: "prepare") { (name: String) in BenchDType(rawValue: name) }
        let variance = try field(request, "variance", of: "prepare") { (name: String) in
            BenchVariance(rawValue: name)
        }
        let count = try integer(request, "n", of: "prepare", in: Self.countRange, default: nil)
        let rowWidth = try integer(request, "row_width", of: "prepare", in: Self.countRange, default: 10)
        return BenchWorkload(dtype: dtype, variance: variance, count: count, rowWidth: rowWidth)
    }

    /// A required field whose value `make` accepts.
    func field<Raw, Value>(
        _ request: [String: Any], _ name: String, of op: String, _ make: (Raw) -> Value?
    ) throws -> Value {
        guard let raw = request[name] else { throw BenchRequestError("\(op): \(name) is missing") }
        guard let typed = raw as? Raw, let value = make(typed) else {
            throw BenchRequestError("\(op): \(name) \(raw) is not valid")
        }
        return value
    }

    /// An integer field within `range`; `default` when absent (required when `default` is nil).
    func integer(
        _ request: [String: Any], _ name: String, of op: String, in range: ClosedRange<Int>, default fallback: Int?
    ) throws -> Int {
        guard let raw = request[name] else {
            guard let fallback else { throw BenchRequestError("\(op): \(name) is missing") }
            return fallback
        }
        guard let number = raw as? NSNumber, let value = Int(exactly: number.doubleValue), range.contains(value) else {
            throw BenchRequestError(
                "\(op): \(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not \(raw)")
        }
        return value
    }

    /// A number field within `range`; `default` when absent.
    func number(
        _ request: [String: Any], _ name: String, of op: String, in range: ClosedRange<Double>, default fallback: Double
    ) throws -> Double {
        guard let raw = request[name] else { return fallback }
        guard let value = (raw as? NSNumber)?.doubleValue, range.contains(value) else {
            throw BenchRequestError(
                "\(op): \(name) must be a number from \(range.lowerBound) to \(range.upperBound), not \(raw)")
        }
        return value
    }

    func reply(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// A request the server cannot serve: the message names the request and the field.
struct BenchRequestError: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

/// The machine, as the script's header reports it.
struct BenchMachine {
    var processors: Int
    var cpu: String
    var load: String

    static var current: BenchMachine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
        return BenchMachine(processors: ProcessInfo.processInfo.activeProcessorCount, cpu: model, load: load)
    }
}
