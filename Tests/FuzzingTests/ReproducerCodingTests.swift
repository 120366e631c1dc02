import Conformance
import Foundation
import Fuzzing
import GaussianNLL
import Judge
import Testing

@Suite("Reproducer files: the case encoding")
struct ReproducerCodingTests {
    /// -0.0, +0.0, +inf, -inf, a quiet NaN with a payload, a negative signalling NaN with a payload, the smallest
    /// subnormal and the largest finite value of each dtype, as little-endian bit patterns.
    static let patterns: [(DType, [UInt64])] = [
        (.float16, [0x8000, 0x0000, 0x7C00, 0xFC00, 0x7E01, 0xFD55, 0x0001, 0x7BFF]),
        (.bfloat16, [0x8000, 0x0000, 0x7F80, 0xFF80, 0x7FC1, 0xFF81, 0x0001, 0x7F7F]),
        (.float32, [0x8000_0000, 0, 0x7F80_0000, 0xFF80_0000, 0x7FC1_2345, 0xFF81_2345, 0x0000_0001, 0x7F7F_FFFF]),
        (
            .float64,
            [
                0x8000_0000_0000_0000, 0, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0001_2345,
                0xFFF4_0000_0000_0001, 0x0000_0000_0000_0001, 0x7FEF_FFFF_FFFF_FFFF,
            ]
        ),
    ]

    static func bytes(_ dtype: DType, _ patterns: [UInt64]) -> [UInt8] {
        patterns.flatMap { pattern in (0..<dtype.byteWidth).map { UInt8(truncatingIfNeeded: pattern >> (8 * $0)) } }
    }

    static func record(_ dtype: DType, _ patterns: [UInt64]) -> TensorRecord {
        var record = TensorRecord(try! Tensor(dtype: dtype, shape: [0], values: []))
        record.shape = [patterns.count]
        record.data = Data(bytes(dtype, patterns)).base64EncodedString()
        return record
    }

    @Test(
        "Every special value of every dtype, and -0.0, ±inf and NaN in eps and a scalar var, survive a reproducer",
        arguments: [-0.0, Double.infinity, -Double.infinity, Double.nan, Double.leastNonzeroMagnitude])
    func specialValues(_ scalar: Double) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gnll-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (dtype, patterns) in Self.patterns {
            let base = try Tensor(dtype: dtype, shape: [1], values: [1])
            let call = LossCase(input: base, target: base, variance: .scalar(1), eps: 1e-6, reduction: "none")
            var record = CaseRecord(call)
            record.input = Self.record(dtype, patterns)
            record.target = Self.record(dtype, patterns.reversed())
            record.eps = scalar
            record.variance = .scalar(scalar == -0.0 ? -0.0 : -scalar)
            record.gradOutput = Self.record(dtype, patterns)
            record.grad = true
            let signature = FailureSignature(problem: "class:loss", form: "special \(dtype)")
            let reproducer = Reproducer(
                signature: signature, profile: .current, candidate: CandidateInfo(name: "special", version: "1"),
                seed: .max, caseNumber: 1, mutations: [.nanPayload], shrunk: false, findings: ["special"],
                answer: OutcomeSummary(Oracle.evaluate(call, profile: .current)),
                expected: OutcomeSummary(Oracle.evaluate(call, profile: .current)), call: record)
            let path = try reproducer.write(toDirectory: directory)
            let read = try Reproducer.read(from: path)
            #expect(read.seed == .max)
            for (name, tensor) in [("input", read.call.input), ("target", read.call.target)] {
                #expect(tensor.shape == [patterns.count])
                let original = name == "input" ? patterns : patterns.reversed()
                #expect(Data(base64Encoded: tensor.data) == Data(Self.bytes(dtype, original)), "\(dtype) \(name)")
            }
            #expect(Data(base64Encoded: read.call.gradOutput?.data ?? "") == Data(Self.bytes(dtype, patterns)))
            let eps = read.call.eps
            #expect(scalar.isNaN ? eps.isNaN : eps.bitPattern == scalar.bitPattern, "eps \(scalar) read as \(eps)")
            guard case .scalar(let variance) = read.call.variance, case .scalar(let written) = record.variance else {
                Issue.record("var changed form")
                continue
            }
            #expect(
                written.isNaN ? variance.isNaN : variance.bitPattern == written.bitPattern,
                "var \(written) read as \(variance)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            if scalar == 0 { #expect(text.contains("\"eps\" : -0.0,") && text.contains("\"scalar\" : -0.0\n")) }
            #expect(text.hasSuffix("}\n"))
        }
    }
}
