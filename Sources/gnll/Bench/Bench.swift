import ArgumentParser

/// `gnll bench --serve`: the timing server that `Tools/bench_vs_torch.py` drives to compare the reference's fused
/// kernel with PyTorch, in one run.
///
/// It reads one JSON request per line on stdin and answers one line on stdout (``BenchServer`` lists the requests):
/// prepare a workload (a dtype, a var layout and a size, with data the script makes the same way), calibrate and take
/// samples of one kind (the fused kernel, the same allocating its outputs per call, or a copy of the same bytes), and
/// describe the machine. The script interleaves these samples with PyTorch's, so that a busy machine slows them alike.
///
/// The suite's own benchmarks (the reference on a small case, the oracle, the judge, protocol coding and an
/// in-process verify, gated on allocation counts) are the `Benchmarks/` package: `Tools/check_benchmarks.sh`.
///
/// ```
/// $ swift build -c release
/// $ .venv-torch/bin/python Tools/bench_vs_torch.py --gnll .build/release/gnll --sizes 10000000 --dtypes float32
/// ```
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve Tools/bench_vs_torch.py: time the fused kernel beside PyTorch (run with --serve).",
        discussion: """
            --serve reads one JSON request per line on stdin and answers one line on stdout: prepare a workload \
            (dtype, var layout, size), calibrate and sample the fused kernel (FusedKernel.evaluate, typed \
            buffers, outputs allocated once), the same with outputs allocated per call, or a memcpy of input, \
            target and var (the memory-bandwidth ceiling), and describe the machine. Tools/bench_vs_torch.py \
            drives it and interleaves PyTorch's samples with these. Build with -c release.

            The suite's own benchmarks, gated on allocation counts, are the Benchmarks/ package \
            (Tools/check_benchmarks.sh); the wall times of whole commands are Tools/bench_suite.sh's.
            """)

    @Flag(name: .long, help: "Answer Tools/bench_vs_torch.py's JSON requests on stdin (required).")
    var serve = false

    func validate() throws {
        guard serve else {
            throw ValidationError(
                "gnll bench only answers Tools/bench_vs_torch.py's requests: run it with --serve. The suite's own "
                    + "benchmarks are the Benchmarks package (Tools/check_benchmarks.sh).")
        }
    }

    func run() throws {
        BenchServer().run()
    }
}
