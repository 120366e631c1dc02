import Dispatch

// Timing: how many calls make one sample, and the seconds per call of a sample.

extension BenchWorkload {
    /// How many calls make one sample last `sampleSeconds`; the first call also warms up.
    func calibrate(_ kind: BenchKind, threads: Int, sampleSeconds: Double) -> Int {
        let once = sample(kind, threads: threads, calls: 1)
        return max(1, Int((sampleSeconds / max(once, 1e-9)).rounded(.up)))
    }

    /// Seconds per call, averaged over `calls` calls.
    func sample(_ kind: BenchKind, threads: Int, calls: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { call(kind, threads: threads) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(calls)
    }
}
