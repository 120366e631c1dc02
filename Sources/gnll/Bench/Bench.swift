import ArgumentParser
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
            Tools/bench_vs_torch.py drives it to interleave PyTorch with this process. Wall times of whole \
            commands (gnll verify, golden replay) are Tools/bench_suite.sh's job.
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Element counts (1 to 100000000).")
    var sizes: [Int] = [1_000, 100_000, 10_000_000]

    @Option(name: .long, parsing: .upToNextOption, help: "dtypes: float32, float64.")
    var dtypes: [String] = ["float32", "float64"]

    @Option(name: .long, parsing: .upToNextOption, help: "var layouts: heteroscedastic, homoscedastic.")
    var variances: [String] = ["heteroscedastic", "homoscedastic"]

    @Option(name: .long, parsing: .upToNextOption, help: "Thread counts (1 to 256).")
    var threads: [Int] = [1, 2]

    @Option(name: .long, parsing: .unconditional, help: "Samples per measurement (1 to 10000).")
    var repeats = 7

    @Option(
        name: .long, parsing: .unconditional,
        help: "Seconds one sample should last at least, 0 to 60 (small sizes repeat it).")
    var sampleSeconds = 0.02

    @Option(name: .long, parsing: .unconditional, help: "Row width W of the homoscedastic layout.")
    var rowWidth = 10

    @Option(
        name: .long, parsing: .unconditional,
        help: "Largest size at which Reference.evaluate (Tensor in, Tensor out) is timed.")
    var referenceMax = 10_000_000

    @Option(name: .long, parsing: .unconditional, help: "Largest size at which the oracle is timed.")
    var oracleMax = 100_000

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
        for size in sizes { try requireRange(size, 1...100_000_000, option: "--sizes") }
        for count in threads { try requireRange(count, 1...256, option: "--threads") }
        try requireRange(repeats, 1...10_000, option: "--repeats")
        try requireRange(sampleSeconds, 0...60, option: "--sample-seconds")
        try requireRange(rowWidth, 1...100_000_000, option: "--row-width")
        try requireRange(referenceMax, 0...Int.max, option: "--reference-max")
        try requireRange(oracleMax, 0...Int.max, option: "--oracle-max")
    }

    func run() throws {
        if serve {
            try BenchServer().run()
            return
        }
        var results = [BenchResult]()
        for dtype in dtypes.compactMap(BenchDType.init) {
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
        let report = BenchReport(results: results, command: CommandLine.arguments.joined(separator: " "))
        if json {
            print(try report.jsonString())
        } else {
            print(report.table())
        }
    }

    func printProgress(_ results: [BenchResult]) {
        guard let last = results.last else { return }
        printError("measured \(last.dtype) \(last.variance) n=\(last.count)")
    }
}
