import Foundation

/// The machine, as PERFORMANCE.md reports it.
struct BenchMachine: Codable {
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

/// The results of a run, as JSON (`--json`) or as a fixed-width table.
struct BenchReport {
    var results: [BenchResult]
    var command: String

    func jsonString() throws -> String {
        var entries = [[String: Any]]()
        for result in results {
            var entry: [String: Any] = [
                "kind": result.kind, "dtype": result.dtype, "variance": result.variance, "n": result.count,
                "threads": result.threads, "seconds": result.seconds, "min": result.minimum,
                "median": result.median, "max": result.maximum,
            ]
            if let loss = result.loss { entry["loss"] = loss }
            entries.append(entry)
        }
        let machine = BenchMachine.current
        let object: [String: Any] = [
            "schema": "gnll-bench/1", "command": command,
            "machine": ["nproc": machine.processors, "cpu": machine.cpu, "loadavg": machine.load],
            "results": entries,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// One line per configuration: milliseconds (min/median/max) and the share of the copy ceiling.
    func table() -> String {
        func ms(_ value: Double) -> String { String(format: "%.3f", value * 1e3) }
        var lines = [
            "kind          dtype   variance         n          threads  min ms    median ms  max ms    copy/this"
        ]
        for result in results {
            let copy = results.first {
                $0.kind == BenchKind.copy.rawValue && $0.dtype == result.dtype && $0.variance == result.variance
                    && $0.count == result.count && $0.threads == result.threads
            }
            let ceiling = copy.map { String(format: "%.2f", $0.median / result.median) } ?? ""
            lines.append(
                [
                    result.kind.padding(toLength: 13, withPad: " ", startingAt: 0),
                    result.dtype.padding(toLength: 7, withPad: " ", startingAt: 0),
                    result.variance.padding(toLength: 16, withPad: " ", startingAt: 0),
                    String(result.count).padding(toLength: 10, withPad: " ", startingAt: 0),
                    String(result.threads).padding(toLength: 8, withPad: " ", startingAt: 0),
                    ms(result.minimum).padding(toLength: 9, withPad: " ", startingAt: 0),
                    ms(result.median).padding(toLength: 10, withPad: " ", startingAt: 0),
                    ms(result.maximum).padding(toLength: 9, withPad: " ", startingAt: 0),
                    ceiling,
                ].joined(separator: " "))
        }
        let machine = BenchMachine.current
        lines.append("machine: \(machine.processors) processors, \(machine.cpu), load \(machine.load)")
        return lines.joined(separator: "\n")
    }
}
