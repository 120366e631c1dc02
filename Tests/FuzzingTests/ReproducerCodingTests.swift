import Conformance
import Foundation
import Fuzzing
import GNLLTestSupport
import GaussianNLL
import Judge
import Testing

@Suite("Reproducer files: the case encoding")
struct ReproducerCodingTests {
    @Test(
        "Every special value of every dtype, and -0.0, ±inf and NaN in eps and a scalar var, survive a reproducer",
        arguments: [-0.0, Double.infinity, -Double.infinity, Double.nan, Double.leastNonzeroMagnitude])
    func specialValues(_ scalar: Double) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gnll-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (dtype, patterns) in SpecialValues.bitPatterns {
            let base = try Tensor(dtype: dtype, shape: [1], values: [1])
            let call = LossCase(input: base, target: base, variance: .scalar(1), eps: 1e-6, reduction: "none")
            var record = CaseRecord(call)
            record.input = SpecialValues.record(dtype, patterns)
            record.target = SpecialValues.record(dtype, patterns.reversed())
            record.eps = scalar
            record.variance = .scalar(scalar == -0.0 ? -0.0 : -scalar)
            record.gradOutput = SpecialValues.record(dtype, patterns)
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
                #expect(
                    Data(base64Encoded: tensor.data) == Data(SpecialValues.bytes(dtype, original)), "\(dtype) \(name)")
            }
            #expect(Data(base64Encoded: read.call.gradOutput?.data ?? "") == Data(SpecialValues.bytes(dtype, patterns)))
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
