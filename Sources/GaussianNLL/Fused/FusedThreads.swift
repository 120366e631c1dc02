import Dispatch

/// Runs `body(0)`, …, `body(workers − 1)` at the same time, on the calling thread when there is one.
///
/// The fused kernel's results never depend on how many workers run: each worker takes whole chunks
/// of a fixed summation tree and writes only its own outputs.
func fusedParallel(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        let work = FusedWork(body: body)
        DispatchQueue.concurrentPerform(iterations: workers) { work.body($0) }
    }
}

/// The workers' closure, which writes disjoint parts of shared buffers.
private struct FusedWork: @unchecked Sendable {
    let body: (Int) -> Void
}
