import Foundation
import GNLLTestSupport
import Testing

@testable import GaussianNLL

/// The fused kernel against the op-by-op reference: the same bits, for every shape, dtype, reduction
/// and special value it covers, on any number of threads.
@Suite("Fused kernel")
struct FusedKernelTests {
    @Test("Bit-identical to the op-by-op reference on random calls, on 1, 2 and 3 threads", arguments: 0..<8)
    func matchesReference(seed: UInt64) throws {
        var generator = FusedCaseGenerator(seed: 0xF05E_D000 + seed)
        var covered = 0
        let total = 400
        for index in 0..<total {
            let (call, profile) = generator.call(large: index % 40 == 39)
            let expected = Reference.evaluateOpByOp(call, profile: profile)
            guard case .success(let layout) = CallLayout.resolve(call, profile: profile) else {
                let same = Reference.evaluate(call, profile: profile) == expected
                #expect(same)
                continue
            }
            let context = "seed \(seed) case \(index): \(describe(call, profile: profile))"
            guard let single = FusedReference.evaluate(call, layout: layout, threads: 1) else {
                let same = sameBits(Reference.evaluate(call, profile: profile), expected)
                #expect(same, "\(context)")
                continue
            }
            covered += 1
            let same = sameBits(single, expected)
            #expect(same, "\(context)\n\(difference(single, expected))")
            for threads in [2, 3] {
                let parallel = FusedReference.evaluate(call, layout: layout, threads: threads)
                let agrees = parallel.map { sameBits($0, single) } == true
                #expect(agrees, "\(threads) threads: \(context)")
            }
            let viaReference = Reference.evaluate(call, profile: profile)
            let dispatched = sameBits(viaReference, expected)
            #expect(dispatched, "\(context)\n\(difference(viaReference, expected))")
        }
        // The generator aims most calls at shapes the kernel covers.
        #expect(covered >= total / 2, "only \(covered) of \(total) calls took the fused path")
    }

    @Test("Large calls: many chunks, rows that cross chunks and threads, wide rows, broadcast targets")
    func largeLayouts() throws {
        let layouts: [(input: Shape, target: Shape, variance: Shape?)] = [
            ([20_011], [20_011], [20_011]),
            ([3, 7_001], [7_001], [3, 7_001]),
            ([1_999, 13], [1_999, 13], [1_999, 1]),
            ([1_999, 13], [13], [1_999]),
            ([613, 29], [613, 1], [613, 1]),
            ([2, 16_500], [2, 16_500], [2, 1]),
            ([16_500], [1], []),
            ([5, 40, 97], [40, 97], [5, 40, 1]),
            ([5, 40, 97], [5, 1, 1], [5, 40, 97]),
            ([9_000], [9_000], nil),
        ]
        var generator = FusedCaseGenerator(seed: 77)
        for (index, layout) in layouts.enumerated() {
            for dtype in [DType.float32, .float64] {
                for reduction in ["none", "mean", "sum"] {
                    let call = generator.call(
                        input: layout.input, target: layout.target, variance: layout.variance, dtype: dtype,
                        reduction: reduction, specials: index % 2 == 0)
                    let expected = Reference.evaluateOpByOp(call)
                    guard case .success(let resolved) = CallLayout.resolve(call, profile: .current) else {
                        Issue.record("layout \(index) was rejected: \(expected)")
                        continue
                    }
                    let fused = try #require(
                        FusedReference.evaluate(call, layout: resolved, threads: 1), "layout \(index) not covered")
                    let same = sameBits(fused, expected)
                    #expect(same, "layout \(index) \(dtype) \(reduction): \(difference(fused, expected))")
                    let parallel = FusedReference.evaluate(call, layout: resolved, threads: 2)
                    let agrees = parallel.map { sameBits($0, fused) } == true
                    #expect(agrees, "layout \(index) on 2 threads")
                }
            }
        }
    }

    @Test("The typed entry point equals the reference")
    func typedEntryPoint() throws {
        var generator = SplitMix64(seed: 5)
        let rows = 300
        let width = 7
        let count = rows * width
        let input = (0..<count).map { _ in Float(4 * generator.unitInterval() - 2) }
        let target = (0..<count).map { _ in Float(4 * generator.unitInterval() - 2) }
        let variance = (0..<rows).map { _ in Float(generator.unitInterval() + 0.01) }
        var loss: [Float] = [0]
        var gradInput = [Float](repeating: 0, count: count)
        var gradTarget = [Float](repeating: 0, count: count)
        var gradVariance = [Float](repeating: 0, count: rows)
        let gradOutput: [Float] = [1]
        input.withUnsafeBufferPointer { input in
            target.withUnsafeBufferPointer { target in
                variance.withUnsafeBufferPointer { variance in
                    gradOutput.withUnsafeBufferPointer { gradOutput in
                        loss.withUnsafeMutableBufferPointer { loss in
                            gradInput.withUnsafeMutableBufferPointer { gradInput in
                                gradTarget.withUnsafeMutableBufferPointer { gradTarget in
                                    gradVariance.withUnsafeMutableBufferPointer { gradVariance in
                                        FusedKernel.evaluate(
                                            layout: FusedLayout(
                                                rows: rows, width: width, variance: .perRow,
                                                target: .elementwise(rows: rows)),
                                            options: FusedOptions(reduction: .mean, threads: 2), input: input,
                                            target: target, variance: variance, gradOutput: gradOutput, loss: loss,
                                            gradients: FusedGradients(
                                                input: gradInput, target: gradTarget, variance: gradVariance))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let call = LossCase(
            input: try Tensor(dtype: .float32, shape: [rows, width], values: input.map(Double.init)),
            target: try Tensor(dtype: .float32, shape: [rows, width], values: target.map(Double.init)),
            variance: .tensor(try Tensor(dtype: .float32, shape: [rows, 1], values: variance.map(Double.init))),
            gradOutput: .scalar(1, dtype: .float32))
        let expected = try #require(Reference.evaluateOpByOp(call).result)
        #expect(Double(loss[0]).bitPattern == expected.loss.values[0].bitPattern)
        #expect(gradInput.map(Double.init) == expected.gradients?.input?.values)
        #expect(gradTarget.map(Double.init) == expected.gradients?.target?.values)
        #expect(gradVariance.map(Double.init) == expected.gradients?.variance?.values)
    }

    @Test("Chunked pairwise sums equal DType.accumulate", arguments: [9, 64, 4096])
    func chunkedSums(limit: Int) {
        var generator = SplitMix64(seed: UInt64(limit))
        for count in [0, 1, 7, 8, 9, 16, 17, 100, 4095, 4096, 4097, 10_000, 65_537]
            + (0..<20).map({ _ in
                1 + generator.modulo(50_000)
            })
        {
            let values = (0..<count).map { _ in Float(1000 * generator.unitInterval() - 500) }
            let tree = PairwiseTree(count: count, limit: limit)
            #expect(tree.boundaries.first == 0 && tree.boundaries.last == count)
            var sums = [Float](repeating: 0, count: tree.chunkCount)
            values.withUnsafeBufferPointer { buffer in
                for chunk in 0..<tree.chunkCount {
                    let range = tree.range(of: chunk)
                    #expect(range.count <= limit)
                    sums[chunk] = pairwiseSum(buffer.baseAddress! + range.lowerBound, range.count)
                }
            }
            let chunked = count == 0 ? 0 : sums.withUnsafeBufferPointer { tree.combine($0) }
            let expected = values.map(Double.init).withUnsafeBufferPointer { DType.float32.accumulate($0) }
            #expect(Double(chunked).bitPattern == expected.bitPattern, "count \(count)")
            let repeated = pairwiseSum(repeating: Float(0.1), count: count)
            let expectedRepeated = [Double](repeating: Double(Float(0.1)), count: count)
                .withUnsafeBufferPointer { DType.float32.accumulate($0) }
            #expect(Double(repeated).bitPattern == expectedRepeated.bitPattern, "repeated, count \(count)")
        }
    }

    @Test("Column sums equal a pairwise sum per column")
    func columnSums() {
        var generator = SplitMix64(seed: 11)
        for (rows, width) in [(1, 5), (8, 3), (9, 4), (100, 17), (1000, 2)] {
            let values = (0..<(rows * width)).map { _ in Float(generator.unitInterval() - 0.5) }
            var out = [Float](repeating: 0, count: width)
            var scratch = [Float](repeating: 0, count: columnPairwiseScratchCount(rowCount: rows, width: width))
            values.withUnsafeBufferPointer { values in
                columnPairwiseSums(
                    values.baseAddress!, rowCount: rows, stride: width, width: width, into: &out, scratch: &scratch)
            }
            for column in 0..<width {
                let columnValues = (0..<rows).map { Double(values[$0 * width + column]) }
                let expected = columnValues.withUnsafeBufferPointer { DType.float32.accumulate($0) }
                #expect(Double(out[column]).bitPattern == expected.bitPattern)
            }
        }
    }

    @Test("Calls outside the kernel's layouts are declined")
    func declines() throws {
        let float32 = try Tensor(dtype: .float32, shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let float64 = float32.converted(to: .float64)
        let float16 = float32.converted(to: .float16)
        func covered(_ call: LossCase, profile: Profile = .current) -> Bool {
            guard case .success(let layout) = CallLayout.resolve(call, profile: profile) else { return false }
            return FusedLayout(layout, call: call) != nil
        }
        #expect(covered(LossCase(input: float32, target: float32, variance: .tensor(float32))))
        #expect(!covered(LossCase(input: float32, target: float64, variance: .tensor(float32))))
        #expect(!covered(LossCase(input: float16, target: float16, variance: .tensor(float16))))
        #expect(!covered(LossCase(input: float32, target: float32, variance: .tensor(float32)), profile: .torch1_8))
        // var (1, 3) is broadcast over rows (torch 2.10), not per row.
        let columnVariance = try Tensor(dtype: .float32, shape: [1, 3], values: [1, 2, 3])
        #expect(!covered(LossCase(input: float32, target: float32, variance: .tensor(columnVariance))))
        // input broadcast against a larger target.
        let row = try Tensor(dtype: .float32, shape: [3], values: [1, 2, 3])
        #expect(!covered(LossCase(input: row, target: float32, variance: .scalar(1))))
    }
}

// MARK: - Support

/// Random calls aimed at the fused kernel's layouts, with special values, eps and profiles.
struct FusedCaseGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func call(large: Bool) -> (LossCase, Profile) {
        let profile = [Profile.torch1_9, .torch2_6, .torch2_10, .torch2_10][random.modulo(4)]
        let dtype: DType = random.modulo(2) == 0 ? .float32 : .float64
        let input: Shape
        if large {
            input = [[20_011], [97, 211], [3, 5, 1_201]][random.modulo(3)]
        } else {
            let rank = random.modulo(5)
            input = Shape((0..<rank).map { _ in 1 + random.modulo(random.modulo(4) == 0 ? 40 : 6) })
        }
        let target = targetShape(for: input)
        var variance: Shape?
        switch random.modulo(10) {
        case 0..<4: variance = input
        case 4..<6: variance = input.rank > 0 ? input.droppingLast.appendingUnitAxis : input
        case 6..<8: variance = input.droppingLast
        case 8: variance = profile.acceptsScalarVariance ? nil : input
        default:
            // Shapes the kernel declines (var broadcast over a middle axis), for the dispatch.
            var dims = input.dims
            if !dims.isEmpty { dims[random.modulo(dims.count)] = 1 }
            variance = Shape(dims)
        }
        let reduction = ["none", "mean", "sum"][random.modulo(3)]
        var call = self.call(
            input: input, target: target, variance: variance, dtype: dtype, reduction: reduction,
            specials: random.modulo(3) == 0)
        call.full = random.modulo(2) == 0
        call.eps = [1e-6, 1e-6, 0, -1, .nan, 1e-3, 10, 1e-300, Double(Float.leastNonzeroMagnitude)][random.modulo(9)]
        if random.modulo(6) == 0 { call.gradOutput = nil }
        return (call, profile)
    }

    /// input's shape, some leading axes dropped and some axes set to 1.
    mutating func targetShape(for input: Shape) -> Shape {
        var dims = input.dims
        switch random.modulo(6) {
        case 0..<3: return input
        case 3: dims = Array(dims.dropFirst(random.modulo(dims.count + 1)))
        case 4:
            // A leading run of axes broadcast: target repeats.
            let count = random.modulo(dims.count + 1)
            for axis in 0..<count { dims[axis] = 1 }
        default:
            // A trailing run of axes broadcast: one target value per block; or anything.
            let count = random.modulo(dims.count + 1)
            for axis in (dims.count - count)..<dims.count { dims[axis] = 1 }
            if random.modulo(3) == 0, !dims.isEmpty { dims[random.modulo(dims.count)] = 1 }
        }
        return Shape(dims)
    }

    mutating func call(
        input: Shape, target: Shape, variance: Shape?, dtype: DType, reduction: String, specials: Bool
    ) -> LossCase {
        let inputTensor = tensor(input, dtype: dtype) { $0.operand(dtype: dtype, specials: specials) }
        let targetTensor = tensor(target, dtype: dtype) { $0.operand(dtype: dtype, specials: specials) }
        let varianceOperand: Variance
        if let variance {
            varianceOperand = .tensor(tensor(variance, dtype: dtype) { $0.variance(dtype: dtype, specials: specials) })
        } else {
            varianceOperand = .scalar(self.variance(dtype: dtype, specials: specials))
        }
        var call = LossCase(
            input: inputTensor, target: targetTensor, variance: varianceOperand, reduction: reduction)
        // grad_output with the loss's shape (the broadcast of all three), or a scalar.
        if reduction == "none" {
            let lossShape = try? Shape.broadcast(Shape.broadcast(input, target).get(), variance ?? input).get()
            if let lossShape {
                call.gradOutput = tensor(lossShape, dtype: dtype) { $0.operand(dtype: dtype, specials: specials) }
            }
        } else {
            let value = [1.0, 1.0, 0.5, -3, 1e-3][random.modulo(5)]
            call.gradOutput = .scalar(specials && random.modulo(8) == 0 ? .nan : value, dtype: dtype)
        }
        return call
    }

    mutating func tensor(_ shape: Shape, dtype: DType, _ make: (inout FusedCaseGenerator) -> Double) -> Tensor {
        let count = (try? shape.elementCount()) ?? 0
        var values = [Double]()
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(make(&self)) }
        return try! Tensor(dtype: dtype, shape: shape, values: values)
    }

    mutating func special(dtype: DType) -> Double {
        [
            .nan, .infinity, -.infinity, 0, -0.0, dtype.leastNonzeroMagnitude, -dtype.leastNonzeroMagnitude,
            dtype.leastNormalMagnitude, dtype.greatestFiniteMagnitude, -dtype.greatestFiniteMagnitude, 1, 1e-30,
            1e30, 3 * dtype.leastNonzeroMagnitude,
        ][random.modulo(14)]
    }

    mutating func operand(dtype: DType, specials: Bool) -> Double {
        if specials && random.modulo(6) == 0 { return special(dtype: dtype) }
        return (random.unitInterval() - 0.5) * Foundation.exp(8 * random.unitInterval() - 3)
    }

    /// A non-negative var (negative entries are rejected before any evaluation).
    mutating func variance(dtype: DType, specials: Bool) -> Double {
        if specials && random.modulo(6) == 0 { return abs(special(dtype: dtype)) }
        return Foundation.exp(16 * random.unitInterval() - 8)
    }
}

/// Whether two outcomes are the same bits: dtypes, shapes, and every value's bit pattern, where any
/// NaN equals any NaN (as ``Tensor/isBitwiseIdentical(to:)`` has it: which NaN an IEEE operation on
/// two NaNs returns is not fixed by the language, and the compiler may swap the operands of `+`).
func sameBits(_ a: LossOutcome, _ b: LossOutcome) -> Bool {
    switch (a, b) {
    case (.rejection(let x), .rejection(let y)): return x == y
    case (.success(let x), .success(let y)):
        guard sameBits(x.loss, y.loss) else { return false }
        switch (x.gradients, y.gradients) {
        case (nil, nil): return true
        case (let p?, let q?):
            return [(p.input, q.input), (p.target, q.target), (p.variance, q.variance)].allSatisfy { v, w in
                switch (v, w) {
                case (nil, nil): true
                case (let v?, let w?): sameBits(v, w)
                default: false
                }
            }
        default: return false
        }
    default: return false
    }
}

func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
    a.isBitwiseIdentical(to: b)
}

/// The first differing value of two outcomes, for a failure message.
func difference(_ a: LossOutcome, _ b: LossOutcome) -> String {
    guard case .success(let x) = a, case .success(let y) = b else { return "\(a) vs \(b)" }
    var pairs: [(String, Tensor, Tensor)] = [("loss", x.loss, y.loss)]
    if let p = x.gradients, let q = y.gradients {
        let gradients: [(String, Tensor?, Tensor?)] = [
            ("input grad", p.input, q.input), ("target grad", p.target, q.target), ("var grad", p.variance, q.variance),
        ]
        for case (let name, let v?, let w?) in gradients { pairs.append((name, v, w)) }
    }
    for (name, p, q) in pairs {
        guard p.shape == q.shape else { return "\(name): shape \(p.shape) vs \(q.shape)" }
        for index in p.values.indices
        where p.values[index].bitPattern != q.values[index].bitPattern
            && !(p.values[index].isNaN && q.values[index].isNaN)
        {
            return "\(name)[\(index)]: fused \(p.values[index]) vs reference \(q.values[index])"
        }
    }
    return "no difference in values"
}

func describe(_ call: LossCase, profile: Profile) -> String {
    let variance =
        switch call.variance {
        case .scalar(let value): "scalar \(value)"
        case .tensor(let tensor): "\(tensor.shape)"
        }
    return "\(profile) \(call.input.dtype) input \(call.input.shape) target \(call.target.shape) var \(variance) "
        + "\(call.reduction) full \(call.full) eps \(call.eps) grad \(call.gradOutput != nil)"
}
