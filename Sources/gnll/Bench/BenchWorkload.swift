import Dispatch
import GaussianNLL

// The workloads: typed buffers for the fused kernel and the copy.

/// The dtypes the fused kernel is timed in.
enum BenchDType: String, CaseIterable {
    case float32
    case float64
}

/// The var layouts.
enum BenchVariance: String, CaseIterable {
    /// var has input's shape (n,).
    case heteroscedastic
    /// input (n / W, W), var (n / W, 1).
    case homoscedastic
}

/// What one measurement times.
enum BenchKind: String {
    /// FusedKernel.evaluate with outputs allocated once.
    case fused
    /// FusedKernel.evaluate with outputs allocated (not zeroed) on every call, as an eager framework does.
    case fusedAllocating = "fused-alloc"
    /// memcpy of input, target and var into three buffers: the bytes one fused pass moves.
    case copy
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
protocol BenchScalar: FusedKernelScalar {
    init(_ value: Double)
    /// The bit pattern, widened.
    var bits: UInt64 { get }
}

extension Float: BenchScalar {
    var bits: UInt64 { UInt64(bitPattern) }
}

extension Double: BenchScalar {
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
        FusedKernel.evaluate(
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
        FusedKernel.evaluate(
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
    private let float: TypedWorkload<Float>?
    private let double: TypedWorkload<Double>?

    init(dtype: BenchDType, variance: BenchVariance, count: Int, rowWidth: Int) {
        self.dtype = dtype
        self.variance = variance
        let layout: FusedLayout
        switch variance {
        case .heteroscedastic:
            self.count = count
            self.rowWidth = count
            layout = FusedLayout(rows: 1, width: count, variance: .elementwise, target: .elementwise(rows: 1))
        case .homoscedastic:
            let width = min(rowWidth, count)
            let rows = max(1, count / width)
            self.count = rows * width
            self.rowWidth = width
            layout = FusedLayout(rows: rows, width: width, variance: .perRow, target: .elementwise(rows: rows))
        }
        float = dtype == .float32 ? TypedWorkload(layout: layout) : nil
        double = dtype == .float64 ? TypedWorkload(layout: layout) : nil
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
        }
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
}
