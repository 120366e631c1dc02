import Dispatch

// The benchmark harness: calibrate how many calls one sample takes, take the samples of one configuration's
// kinds in turn, and report min/median/max.

extension Bench {
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
}

extension BenchWorkload {
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
}

/// The samples of one measurement, and their statistics.
struct BenchResult: Codable {
    var kind: String
    var dtype: String
    var variance: String
    var count: Int
    /// 0 where the measured code picks its own (Reference.evaluate, the oracle).
    var threads: Int
    var seconds: [Double]
    var loss: Double?

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
