import ArgumentParser
import Dispatch
import Foundation
import GaussianNLL

/// `gnll bench`: the reference's throughput, beside the memory-bandwidth ceiling of the same bytes.
///
/// Every measurement is a list of samples of the wall-clock time per call (a sample repeats small
/// calls until it lasts `--sample-seconds`), reported as min/median/max. The kinds of measurement
/// for one configuration run interleaved (fused, allocating, copy, fused, …) so that a busy machine
/// slows them alike and their ratios stay fair. `Tools/bench_vs_torch.py` adds PyTorch to the rounds.
///
/// ```
/// $ swift build -c release && .build/release/gnll bench --sizes 10000000 --dtypes float32 --threads 1 2
/// kind          dtype   variance         n          threads  min ms    median ms  max ms    copy/this
/// fused         float32 heteroscedastic  10000000   1        …
/// ```
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the reference's forward+backward throughput against a streaming copy of the same bytes.",
        discussion: """
            For each dtype, var layout, size and thread count it times, interleaved: the fused kernel \
            (FusedKernel.evaluate, typed buffers, outputs allocated once), the same with outputs allocated per \
            call, and a memcpy of input, target and var into three output buffers (the bytes one fused pass \
            reads and writes: the memory-bandwidth ceiling). Reference.evaluate on Tensors and the oracle are \
            timed per call up to --reference-max and --oracle-max elements. Build with -c release.

            Reduction 'mean', eps 1e-6, full false, grad_output 1. Heteroscedastic: input, target and var of \
            shape (n,). Homoscedastic: input and target (n / W, W), var (n / W, 1), W = --row-width.

            --serve reads one JSON request per line on stdin and answers one line on stdout; \
            Tools/bench_vs_torch.py drives it to interleave PyTorch with this process.
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Element counts.")
    var sizes: [Int] = [1_000, 100_000, 10_000_000]

    @Option(name: .long, parsing: .upToNextOption, help: "dtypes: float32, float64.")
    var dtypes: [String] = ["float32", "float64"]

    @Option(name: .long, parsing: .upToNextOption, help: "var layouts: heteroscedastic, homoscedastic.")
    var variances: [String] = ["heteroscedastic", "homoscedastic"]

    @Option(name: .long, parsing: .upToNextOption, help: "Thread counts.")
    var threads: [Int] = [1, 2]

    @Option(name: .long, help: "Samples per measurement.")
    var repeats = 7

    @Option(name: .long, help: "Seconds one sample should last at least (small sizes repeat the call).")
    var sampleSeconds = 0.02

    @Option(name: .long, help: "Row width W of the homoscedastic layout.")
    var rowWidth = 10

    @Option(name: .long, help: "Largest size at which Reference.evaluate (Tensor in, Tensor out) is timed.")
    var referenceMax = 10_000_000

    @Option(name: .long, help: "Largest size at which the oracle is timed.")
    var oracleMax = 100_000

    @Flag(
        name: .long,
        help: "Also time `gnll verify --reference`, `gnll verify --candidate 'gnll serve'` and `gnll golden verify`.")
    var suite = false

    @Option(name: .long, help: "The budget of the verify runs of --suite.")
    var suiteBudget = "default"

    @Option(name: .long, help: "How many times --suite runs each command.")
    var suiteRepeats = 1

    @Option(name: .long, help: "The gnll executable --suite runs (default: this one).")
    var suiteExecutable: String?

    @Flag(name: .long, help: "Run only the --suite measurements.")
    var suiteOnly = false

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    @Flag(name: .long, help: "Answer JSON requests on stdin (for Tools/bench_vs_torch.py).")
    var serve = false

    func validate() throws {
        for dtype in dtypes where BenchDType(rawValue: dtype) == nil {
            throw ValidationError("--dtypes takes float32 and float64, not \(dtype).")
        }
        for variance in variances where BenchVariance(rawValue: variance) == nil {
            throw ValidationError("--variances takes heteroscedastic and homoscedastic, not \(variance).")
        }
        guard repeats > 0, suiteRepeats > 0, rowWidth > 0, threads.allSatisfy({ $0 > 0 }), sizes.allSatisfy({ $0 > 0 })
        else {
            throw ValidationError("--repeats, --suite-repeats, --row-width, --threads and --sizes must be positive.")
        }
    }

    func run() throws {
        if serve {
            try BenchServer().run()
            return
        }
        var results = [BenchResult]()
        for dtype in suiteOnly ? [] : dtypes.compactMap(BenchDType.init) {
            for variance in variances.compactMap(BenchVariance.init) {
                for size in sizes {
                    let workload = BenchWorkload(dtype: dtype, variance: variance, count: size, rowWidth: rowWidth)
                    for threadCount in threads {
                        results += measureInterleaved(workload, threads: threadCount)
                    }
                    if size <= referenceMax { results.append(measure(workload, .reference, threads: 0)) }
                    if size <= oracleMax { results.append(measure(workload, .oracle, threads: 0)) }
                    if !json { printProgress(results) }
                }
            }
        }
        if suite || suiteOnly { results += measureSuite() }
        let report = BenchReport(results: results, command: CommandLine.arguments.joined(separator: " "))
        if json {
            print(try report.jsonString())
        } else {
            print(report.table())
        }
    }

    /// The fused kernel, its allocating variant and the copy, one sample of each in turn.
    func measureInterleaved(_ workload: BenchWorkload, threads: Int) -> [BenchResult] {
        let kinds: [BenchKind] = [.fused, .fusedAllocating, .copy]
        let calls = kinds.map { workload.calibrate($0, threads: threads, sampleSeconds: sampleSeconds) }
        var samples = [[Double]](repeating: [], count: kinds.count)
        for _ in 0..<repeats {
            for (index, kind) in kinds.enumerated() {
                samples[index].append(workload.sample(kind, threads: threads, calls: calls[index]))
            }
        }
        return kinds.indices.map { workload.result(kinds[$0], threads: threads, seconds: samples[$0]) }
    }

    func measure(_ workload: BenchWorkload, _ kind: BenchKind, threads: Int) -> BenchResult {
        let calls = workload.calibrate(kind, threads: threads, sampleSeconds: sampleSeconds)
        let seconds = (0..<max(1, min(repeats, 3))).map { _ in workload.sample(kind, threads: threads, calls: calls) }
        return workload.result(kind, threads: threads, seconds: seconds)
    }

    /// Wall time of whole commands of gnll, and the cases per second of the verify runs.
    func measureSuite() -> [BenchResult] {
        let executable = suiteExecutable ?? CommandLine.arguments[0]
        let resultsPath = NSTemporaryDirectory() + "gnll-bench-verify-\(ProcessInfo.processInfo.processIdentifier).json"
        defer { try? FileManager.default.removeItem(atPath: resultsPath) }
        let commands: [(name: String, arguments: [String], countsCases: Bool)] = [
            (
                "verify --reference --budget \(suiteBudget)",
                ["verify", "--reference", "--budget", suiteBudget, "--json", resultsPath], true
            ),
            (
                "verify --candidate 'gnll serve' --budget \(suiteBudget)",
                ["verify", "--candidate", "'\(executable)' serve", "--budget", suiteBudget, "--json", resultsPath],
                true
            ),
            ("golden verify", ["golden", "verify"], false),
        ]
        return commands.map { command in
            var cases: Int?
            let seconds = (0..<suiteRepeats).map { _ -> Double in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = command.arguments
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    try process.run()
                    process.waitUntilExit()
                } catch {
                    printError("gnll bench: cannot run \(executable): \(error)")
                    return .nan
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                // 0 conformant, 1 not conformant: both ran every case. 2 is a usage or infrastructure error.
                guard process.terminationStatus <= 1 else {
                    printError("gnll bench: `gnll \(command.name)` exited with \(process.terminationStatus)")
                    return .nan
                }
                if command.countsCases { cases = Self.caseCount(resultsPath: resultsPath) }
                return elapsed
            }
            var result = BenchResult(
                kind: "gnll \(command.name)", dtype: "", variance: "", count: 0, threads: 0, seconds: seconds,
                loss: nil)
            result.cases = cases
            return result
        }
    }

    /// The number of cases a `gnll verify --json` results file counts over its checks.
    static func caseCount(resultsPath: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: resultsPath),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let checks = object["checks"] as? [[String: Any]]
        else { return nil }
        return checks.reduce(0) { $0 + ($1["cases"] as? Int ?? 0) }
    }

    func printProgress(_ results: [BenchResult]) {
        guard let last = results.last else { return }
        printError("measured \(last.dtype) \(last.variance) n=\(last.count)")
    }
}

// MARK: - Workloads

enum BenchDType: String, CaseIterable {
    case float32
    case float64
}

enum BenchVariance: String, CaseIterable {
    /// var has input's shape (n,).
    case heteroscedastic
    /// input (n / W, W), var (n / W, 1).
    case homoscedastic
}

enum BenchKind: String {
    /// FusedKernel.evaluate with outputs allocated once.
    case fused
    /// FusedKernel.evaluate with outputs allocated (not zeroed) on every call, as an eager framework does.
    case fusedAllocating = "fused-alloc"
    /// memcpy of input, target and var into three buffers: the bytes one fused pass moves.
    case copy
    /// Reference.evaluate on Tensors: conversion from and to [Double] included.
    case reference
    /// Oracle.evaluate on Tensors.
    case oracle
}

/// The benchmark's data: the same values `Tools/bench_vs_torch.py` makes, from SplitMix64 of the
/// element index, one stream per operand.
enum BenchData {
    /// A value in [0, 1) with 24 bits, for element `index` of stream `stream`: the top 24 bits of the first
    /// output of SplitMix64 seeded with `index + stream << 48`.
    static func unit(_ stream: UInt64, _ index: Int) -> Double {
        var generator = SplitMix64(seed: UInt64(index) &+ (stream << 48))
        return Double(generator.next() >> 40) * 0x1p-24
    }

    static func input(_ index: Int) -> Double { unit(1, index) * 4 - 2 }
    static func target(_ index: Int) -> Double { unit(2, index) * 4 - 2 }
    static func variance(_ index: Int) -> Double { unit(3, index) * 2 + 0.0625 }
}

/// What the workload stores, in its dtype.
protocol BenchScalar: BinaryFloatingPoint {
    init(_ value: Double)
    static func fused(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Self>, target: UnsafeBufferPointer<Self>,
        variance: UnsafeBufferPointer<Self>, gradOutput: UnsafeBufferPointer<Self>?,
        loss: UnsafeMutableBufferPointer<Self>, gradients: FusedGradients<Self>?)
    /// The bit pattern, widened.
    var bits: UInt64 { get }
}

extension Float: BenchScalar {
    static func fused(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Float>,
        target: UnsafeBufferPointer<Float>, variance: UnsafeBufferPointer<Float>,
        gradOutput: UnsafeBufferPointer<Float>?, loss: UnsafeMutableBufferPointer<Float>,
        gradients: FusedGradients<Float>?
    ) {
        FusedKernel.evaluate(
            layout: layout, options: options, input: input, target: target, variance: variance,
            gradOutput: gradOutput, loss: loss, gradients: gradients)
    }
    var bits: UInt64 { UInt64(bitPattern) }
}

extension Double: BenchScalar {
    static func fused(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Double>,
        target: UnsafeBufferPointer<Double>, variance: UnsafeBufferPointer<Double>,
        gradOutput: UnsafeBufferPointer<Double>?, loss: UnsafeMutableBufferPointer<Double>,
        gradients: FusedGradients<Double>?
    ) {
        FusedKernel.evaluate(
            layout: layout, options: options, input: input, target: target, variance: variance,
            gradOutput: gradOutput, loss: loss, gradients: gradients)
    }
    var bits: UInt64 { bitPattern }
}

/// Typed operands and outputs, allocated once.
final class TypedWorkload<S: BenchScalar> {
    let layout: FusedLayout
    let input: UnsafeMutableBufferPointer<S>
    let target: UnsafeMutableBufferPointer<S>
    let variance: UnsafeMutableBufferPointer<S>
    let gradOutput: UnsafeMutableBufferPointer<S>
    let loss: UnsafeMutableBufferPointer<S>
    let gradInput: UnsafeMutableBufferPointer<S>
    let gradTarget: UnsafeMutableBufferPointer<S>
    let gradVariance: UnsafeMutableBufferPointer<S>

    init(layout: FusedLayout) {
        self.layout = layout
        let count = layout.elementCount
        func make(_ count: Int, _ value: (Int) -> Double) -> UnsafeMutableBufferPointer<S> {
            let buffer = UnsafeMutableBufferPointer<S>.allocate(capacity: count)
            for index in 0..<count { buffer[index] = S(value(index)) }
            return buffer
        }
        input = make(count, BenchData.input)
        target = make(count, BenchData.target)
        variance = make(layout.varianceCount, BenchData.variance)
        gradOutput = make(1) { _ in 1 }
        loss = make(1) { _ in 0 }
        gradInput = make(count) { _ in 0 }
        gradTarget = make(count) { _ in 0 }
        gradVariance = make(layout.varianceCount) { _ in 0 }
    }

    deinit {
        for buffer in [input, target, variance, gradOutput, loss, gradInput, gradTarget, gradVariance] {
            buffer.deallocate()
        }
    }

    func fused(threads: Int) {
        S.fused(
            layout: layout, options: FusedOptions(reduction: .mean, threads: threads),
            input: UnsafeBufferPointer(input), target: UnsafeBufferPointer(target),
            variance: UnsafeBufferPointer(variance), gradOutput: UnsafeBufferPointer(gradOutput), loss: loss,
            gradients: FusedGradients(input: gradInput, target: gradTarget, variance: gradVariance))
    }

    func fusedAllocating(threads: Int) {
        let gradInput = UnsafeMutableBufferPointer<S>.allocate(capacity: self.gradInput.count)
        let gradTarget = UnsafeMutableBufferPointer<S>.allocate(capacity: self.gradTarget.count)
        let gradVariance = UnsafeMutableBufferPointer<S>.allocate(capacity: self.gradVariance.count)
        defer {
            gradInput.deallocate()
            gradTarget.deallocate()
            gradVariance.deallocate()
        }
        S.fused(
            layout: layout, options: FusedOptions(reduction: .mean, threads: threads),
            input: UnsafeBufferPointer(input), target: UnsafeBufferPointer(target),
            variance: UnsafeBufferPointer(variance), gradOutput: UnsafeBufferPointer(gradOutput), loss: loss,
            gradients: FusedGradients(input: gradInput, target: gradTarget, variance: gradVariance))
    }

    /// memcpy of each operand into its gradient's buffer, split over threads as the kernel splits.
    func copy(threads: Int) {
        let stride = MemoryLayout<S>.stride
        let job = CopyJob(
            pairs: [(input, gradInput), (target, gradTarget), (variance, gradVariance)].map { source, destination in
                (UnsafeRawPointer(source.baseAddress!), UnsafeMutableRawPointer(destination.baseAddress!), source.count)
            })
        let parts = max(1, threads)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            for (source, destination, count) in job.pairs {
                let first = part * count / parts
                let last = (part + 1) * count / parts
                guard last > first else { continue }
                (destination + first * stride).copyMemory(
                    from: source + first * stride, byteCount: (last - first) * stride)
            }
        }
    }

    /// The operands as a call of the loss, for Reference.evaluate and the oracle.
    func lossCase(dtype: DType, shape: Shape, varianceShape: Shape) -> LossCase {
        func tensor(_ buffer: UnsafeMutableBufferPointer<S>, _ shape: Shape) -> Tensor {
            try! Tensor(dtype: dtype, shape: shape, values: buffer.map { Double($0) })
        }
        return LossCase(
            input: tensor(input, shape), target: tensor(target, shape),
            variance: .tensor(tensor(variance, varianceShape)), reduction: "mean",
            gradOutput: .scalar(1, dtype: dtype))
    }

    /// XOR of the bit patterns of an operand's elements: order-free, so Python can compute it too.
    func checksum(_ buffer: UnsafeMutableBufferPointer<S>) -> String {
        String(buffer.reduce(UInt64(0)) { $0 ^ $1.bits }, radix: 16)
    }
}

/// The buffers a copy moves: source, destination, element count; each part writes its own slice.
struct CopyJob: @unchecked Sendable {
    var pairs: [(UnsafeRawPointer, UnsafeMutableRawPointer, Int)]
}

/// One configuration: a dtype, a var layout and a size.
final class BenchWorkload {
    let dtype: BenchDType
    let variance: BenchVariance
    let count: Int
    let rowWidth: Int
    let shape: Shape
    let varianceShape: Shape
    private let float: TypedWorkload<Float>?
    private let double: TypedWorkload<Double>?
    private var lossCaseStorage: LossCase?

    init(dtype: BenchDType, variance: BenchVariance, count: Int, rowWidth: Int) {
        self.dtype = dtype
        self.variance = variance
        let layout: FusedLayout
        switch variance {
        case .heteroscedastic:
            self.count = count
            self.rowWidth = count
            shape = [count]
            varianceShape = [count]
            layout = FusedLayout(rows: 1, width: count, variance: .elementwise, target: .elementwise(rows: 1))
        case .homoscedastic:
            let width = min(rowWidth, count)
            let rows = max(1, count / width)
            self.count = rows * width
            self.rowWidth = width
            shape = [rows, width]
            varianceShape = [rows, 1]
            layout = FusedLayout(rows: rows, width: width, variance: .perRow, target: .elementwise(rows: rows))
        }
        float = dtype == .float32 ? TypedWorkload(layout: layout) : nil
        double = dtype == .float64 ? TypedWorkload(layout: layout) : nil
    }

    var lossCase: LossCase {
        if let lossCaseStorage { return lossCaseStorage }
        let made =
            float?.lossCase(dtype: .float32, shape: shape, varianceShape: varianceShape)
            ?? double!.lossCase(dtype: .float64, shape: shape, varianceShape: varianceShape)
        lossCaseStorage = made
        return made
    }

    /// Runs one call of a kind.
    func call(_ kind: BenchKind, threads: Int) {
        switch kind {
        case .fused:
            float?.fused(threads: threads)
            double?.fused(threads: threads)
        case .fusedAllocating:
            float?.fusedAllocating(threads: threads)
            double?.fusedAllocating(threads: threads)
        case .copy:
            float?.copy(threads: threads)
            double?.copy(threads: threads)
        case .reference:
            _ = Reference.evaluate(lossCase)
        case .oracle:
            _ = Oracle.evaluate(lossCase)
        }
    }

    /// How many calls make one sample last `sampleSeconds`; the first call also warms up.
    func calibrate(_ kind: BenchKind, threads: Int, sampleSeconds: Double) -> Int {
        if kind == .reference || kind == .oracle { _ = lossCase }
        let once = sample(kind, threads: threads, calls: 1)
        return max(1, Int((sampleSeconds / max(once, 1e-9)).rounded(.up)))
    }

    /// Seconds per call, averaged over `calls` calls.
    func sample(_ kind: BenchKind, threads: Int, calls: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { call(kind, threads: threads) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(calls)
    }

    /// The loss the fused kernel gives (after a fused call).
    var loss: Double { float.map { Double($0.loss[0]) } ?? Double(double!.loss[0]) }

    var checksums: [String: String] {
        if let float {
            return [
                "input": float.checksum(float.input), "target": float.checksum(float.target),
                "var": float.checksum(float.variance),
            ]
        }
        let double = double!
        return [
            "input": double.checksum(double.input), "target": double.checksum(double.target),
            "var": double.checksum(double.variance),
        ]
    }

    func result(_ kind: BenchKind, threads: Int, seconds: [Double]) -> BenchResult {
        BenchResult(
            kind: kind.rawValue, dtype: dtype.rawValue, variance: variance.rawValue, count: count, threads: threads,
            seconds: seconds, loss: kind == .fused ? loss : nil)
    }
}

// MARK: - Results

struct BenchResult: Codable {
    var kind: String
    var dtype: String
    var variance: String
    var count: Int
    /// 0 where the measured code picks its own (Reference.evaluate, the oracle, whole commands).
    var threads: Int
    var seconds: [Double]
    var loss: Double?
    /// The cases a verify run judged, for cases per second.
    var cases: Int?

    var sorted: [Double] { seconds.sorted() }
    var minimum: Double { sorted.first ?? .nan }
    var median: Double {
        let values = sorted
        guard !values.isEmpty else { return .nan }
        return values.count % 2 == 1
            ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
    }
    var maximum: Double { sorted.last ?? .nan }
}

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
            if let cases = result.cases {
                entry["cases"] = cases
                entry["cases_per_second"] = Double(cases) / result.median
            }
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
        for result in results where result.cases == nil && result.count > 0 {
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
        for result in results where result.count == 0 {
            var line = "\(result.kind): \(ms(result.minimum)) / \(ms(result.median)) / \(ms(result.maximum)) ms"
            if let cases = result.cases {
                line += String(format: ", %d cases, %.0f cases/s", cases, Double(cases) / result.median)
            }
            lines.append(line)
        }
        let machine = BenchMachine.current
        lines.append("machine: \(machine.processors) processors, \(machine.cpu), load \(machine.load)")
        return lines.joined(separator: "\n")
    }
}

// MARK: - Serving Tools/bench_vs_torch.py

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
