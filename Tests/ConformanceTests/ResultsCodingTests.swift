import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing

/// Scalars for eps and a Python-float var: -0.0, +inf, -inf, NaN, the smallest subnormal and the largest double.
let specialScalars: [Double] = [-0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude]

/// Whether two doubles are the same bits; NaN matches NaN (the files write every NaN as "nan").
func sameBits(_ a: Double, _ b: Double) -> Bool {
    a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("gnll-\(UUID().uuidString)-\(name)").path
}

@Suite("Results files: the case encoding")
struct ResultsCodingTests {
    /// A report with one failed check per (dtype, eps, scalar var): the case's tensors hold every special value.
    func report() throws -> VerifyReport {
        var report = VerifyReport(
            candidate: CandidateInfo(name: "special", version: "1"), profile: .current, seed: .max, budget: "quick")
        for (dtype, patterns) in SpecialValues.bitPatterns {
            for (position, scalar) in specialScalars.enumerated() {
                let base = try Tensor(dtype: dtype, shape: [1], values: [1])
                var record = CaseRecord(
                    LossCase(input: base, target: base, variance: .scalar(1), eps: 1e-6, reduction: "none"))
                record.input = SpecialValues.record(dtype, patterns)
                record.target = SpecialValues.record(dtype, patterns.reversed())
                record.eps = scalar
                // A Python-float var with every special value (float64: a var tensor instead).
                record.variance =
                    dtype == .float64
                    ? .tensor(SpecialValues.record(dtype, patterns))
                    : .scalar(specialScalars[(position + 3) % specialScalars.count])
                var result = CheckResult(id: "special.\(dtype).\(position)", category: "special", title: "special")
                result.status = .failed
                result.failure = CheckFailure(
                    message: "-0.0 \"quoted\"\n/slash", call: record, caseSize: 8, reproduction: nil)
                report.append(result)
            }
        }
        return report
    }

    @Test("Every special value of every dtype, and -0.0, ±inf and NaN in eps and a scalar var, survive a results file")
    func specialValuesRoundTrip() throws {
        let written = try report()
        let path = temporaryPath("results.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try written.write(to: path)
        let read = try VerifyReport.read(from: path)
        #expect(read.seed == UInt64.max)
        #expect(read.checks.count == written.checks.count)
        for (before, after) in zip(written.checks, read.checks) {
            let a = try #require(before.failure?.call)
            let b = try #require(after.failure?.call)
            #expect(after.failure?.message == before.failure?.message)
            for (x, y) in [(a.input, b.input), (a.target, b.target)] {
                #expect(y.dtype == x.dtype && y.shape == x.shape)
                #expect(Data(base64Encoded: y.data) == Data(base64Encoded: x.data), "\(before.id): tensor bytes")
            }
            #expect(sameBits(a.eps, b.eps), "\(before.id): eps \(a.eps) read as \(b.eps)")
            switch (a.variance, b.variance) {
            case (.scalar(let x), .scalar(let y)): #expect(sameBits(x, y), "\(before.id): var \(x) read as \(y)")
            case (.tensor(let x), .tensor(let y)): #expect(Data(base64Encoded: y.data) == Data(base64Encoded: x.data))
            default: Issue.record("\(before.id): var changed form")
            }
            // The case decodes back into a call with the same eps and var.
            let call = try b.call()
            #expect(sameBits(call.eps, a.eps))
        }
        // -0.0 is written so that Python's json reads a float with its sign.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"eps\" : -0.0,"))
        #expect(text.contains("\"scalar\" : -0.0\n"))
        #expect(text.contains("\"eps\" : \"nan\""))
        #expect(text.contains("\"eps\" : \"-inf\""))
        #expect(text.contains("\"eps\" : 5e-324"))
        #expect(!text.contains(": -0,") && !text.contains(": -0\n"))
    }

    @Test("An hvp/jvp case keeps its request and its tangents in a results file; a plain case has none")
    func higherOrderRoundTrip() throws {
        let input = try Tensor(dtype: .float32, shape: [2], values: [0.5, -1])
        let target = try Tensor(dtype: .float32, shape: [2], values: [0, 0.25])
        let variance = try Tensor(dtype: .float64, shape: [], values: [0.75])
        let inputTangent = try Tensor(dtype: .float32, shape: [2], values: [1, -0.5])
        let varianceTangent = try Tensor(dtype: .float64, shape: [], values: [-2])
        let call = LossCase(
            input: input, target: target, variance: .tensor(variance), reduction: "sum",
            gradOutput: try Tensor(dtype: .float64, shape: [], values: [1]),
            requiresGrad: RequiresGrad(input: true, target: false, variance: true),
            higherOrder: HigherOrderRequest(
                tangents: OperandTensors(input: inputTangent, target: nil, variance: varianceTangent), hvp: false,
                jvp: true))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(CaseRecord(call)), as: UTF8.self)
        #expect(text.contains("\"jvp\":true") && !text.contains("\"hvp\""))
        #expect(text.contains("\"tangents\":{\"input\":{") && text.contains("},\"var\":{\"data\""))
        let read = try JSONDecoder().decode(CaseRecord.self, from: Data(text.utf8)).call()
        #expect(read == call)
        #expect(read.higherOrder?.tangents.input?.values == [1, -0.5])
        #expect(read.higherOrder?.tangents.variance?.values == [-2])
        #expect(read.higherOrder?.tangents.target == nil)

        var plain = call
        plain.higherOrder = nil
        let plainText = String(decoding: try encoder.encode(CaseRecord(plain)), as: UTF8.self)
        #expect(!plainText.contains("tangents") && !plainText.contains("jvp"))
        #expect(try JSONDecoder().decode(CaseRecord.self, from: Data(plainText.utf8)).call().higherOrder == nil)
    }

    @Test("The layout is Foundation's pretty-printed, sorted-key layout, byte for byte, but for -0.0")
    func layoutMatchesFoundation() throws {
        var written = try report()
        written.incomplete = true
        var empty = CheckResult(id: "empty", category: "", title: "tab\tand \u{1}control é \\ / \u{2028}")
        empty.ratioHistograms = ["b": RatioHistogram(), "B": RatioHistogram(), "a_": RatioHistogram()]
        empty.worstRatio = 1e-6
        empty.bitExactOutputs = 0
        written.append(empty)
        var more = CheckResult(id: "numbers", category: "x", title: "y")
        for (index, value) in [1.0, 0.1, 1e16, 1.0000000000000001e-06, 123456789012345680000.0, 2.5e-308, 1e300]
            .enumerated()
        {
            more.ratioHistograms["h\(index)"] = RatioHistogram()
            more.ratioHistograms["h\(index)"]!.maximum = value
        }
        written.append(more)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let foundation = String(decoding: try encoder.encode(written), as: UTF8.self)
        let ours = String(decoding: try written.jsonData(), as: UTF8.self)
        #expect(ours.contains(": -0.0"))
        #expect(
            ours
                == foundation.replacingOccurrences(of: ": -0\n", with: ": -0.0\n")
                .replacingOccurrences(of: ": -0,\n", with: ": -0.0,\n"))
        // The compact form, as reports show a case.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let call = try #require(written.checks[1].failure?.call)
        #expect(
            String(decoding: try ResultsCoding.encode(call, pretty: false), as: UTF8.self)
                == String(decoding: try encoder.encode(call), as: UTF8.self))
    }

    @Test("Reading names the member that is wrong")
    func decodingErrors() throws {
        func message(_ edit: (inout String) -> Void) -> String {
            var text = String(decoding: (try? report().jsonData()) ?? Data(), as: UTF8.self)
            edit(&text)
            do {
                _ = try ResultsCoding.decode(VerifyReport.self, from: Array(text.utf8))
                return "read"
            } catch let error as DecodingError {
                switch error {
                case .keyNotFound(let key, let context):
                    return (context.codingPath + [key]).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
                        .joined() + " missing"
                case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                    return context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                        + ": " + context.debugDescription
                @unknown default: return "\(error)"
                }
            } catch {
                return "\(error)"
            }
        }
        #expect(message { _ in } == "read")
        #expect(
            message { $0 = $0.replacingOccurrences(of: "\"eps\" : -0.0", with: "\"eps\" : \"zero\"") }
                == ".checks[0].failure.call.eps: expected a number, found a string")
        #expect(
            message { $0 = $0.replacingOccurrences(of: "\"status\" : \"failed\"", with: "\"status\" : 3") }
                == ".checks[0].status: expected a string, found an integer")
        #expect(
            message { $0 = $0.replacingOccurrences(of: "\"seed\" : 18446744073709551615", with: "\"seed\" : -1") }
                == ".seed: the number does not fit in UInt64")
        #expect(
            message { $0 = $0.replacingOccurrences(of: "\"caseSize\" : 8", with: "\"caseSize\" : null") }
                == ".checks[0].failure.caseSize: expected an integer (Int), found null")
        #expect(message { $0 = $0.replacingOccurrences(of: "\"summary\"", with: "\"summery\"") } == ".summary missing")
        #expect(
            message { $0 = String($0.dropLast()) }.hasSuffix(": unexpected end of input in an object"))
    }
}
