import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Reporting
import Testing
import Verification

@Suite(
    "Results schema",
    .enabled(if: ExternalTool.hasJSONSchema, "python3 with the jsonschema package is not installed"))
struct SchemaTests {
    static let schema = repositoryRoot.appendingPathComponent("Schemas/results.schema.json").path

    /// Validates files with Python's jsonschema (Draft 2020-12, after checking the schema itself); returns
    /// the files' verdicts by name: "valid", or the first error.
    static func validate(_ documents: [String: Data]) throws -> [String: String] {
        let folder = try artifactsFolder("schema")
        var paths = [String]()
        for (name, data) in documents {
            let path = folder.appendingPathComponent("\(name).json").path
            try data.write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let script = """
            import json, os, sys
            import jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                name = os.path.basename(path)[:-5]
                document = json.load(open(path))
                errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
                if errors:
                    where = "/".join(map(str, errors[0].absolute_path))
                    print(f"{name}\\tinvalid at /{where}: {errors[0].message}")
                else:
                    print(f"{name}\\tvalid")
            """
        let outcome = try ExternalTool.run(ExternalTool.python3!, ["-c", script, schema] + paths)
        #expect(outcome.status == 0, "\(outcome.output)")
        var verdicts = [String: String]()
        for line in outcome.output.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if parts.count == 2 { verdicts[parts[0]] = parts[1] }
        }
        return verdicts
    }

    @Test("Results that gnll writes validate: a run with failures, an error, skips; a shard; non-finite numbers")
    func generatedResultsValidate() throws {
        let full = try FakeSuite.report()
        let handmade = try handmadeReport()
        let spec = try ShardSpec(parsing: "2/3")
        let checks = try FakeSuite.checks()
        let shard = ShardedReport(
            report: FakeSuite.run(spec.select(checks), stripe: spec.stripe),
            shard: ShardRecord(shard: spec, checks: checks.map(\.id)))
        #expect(shard.report.checks.contains { $0.stripe?.firstFailureIndex != nil })
        var interrupted = VerifyReport(
            candidate: CandidateInfo(name: "unknown", version: ""), profile: .torch1_8, seed: 0, budget: "")
        interrupted.incomplete = true
        interrupted.incompleteReason = "interrupted by SIGTERM"
        let verdicts = try Self.validate([
            "full": try full.jsonData(), "handmade": try handmade.jsonData(), "shard": try shard.jsonData(),
            "interrupted": try interrupted.jsonData(),
        ])
        #expect(verdicts == ["full": "valid", "handmade": "valid", "shard": "valid", "interrupted": "valid"])
        // The files hold what the schema has to describe.
        let text = String(decoding: try handmade.jsonData(), as: UTF8.self)
        for needle in ["\"inf\"", "\"-inf\"", "\"nan\"", "\"scalar\"", "\"grad_output\"", "\"bitExactOutputs\""] {
            #expect(text.contains(needle), "\(needle)")
        }
    }

    @Test("The schema rejects what VerifyReport does not write")
    func schemaRejects() throws {
        let base = try JSONSerialization.jsonObject(with: try handmadeReport().jsonData()) as! [String: Any]
        func mutated(_ change: (inout [String: Any]) -> Void) throws -> Data {
            var object = base
            change(&object)
            return try JSONSerialization.data(withJSONObject: object)
        }
        func check(_ index: Int, _ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { object in
                var checks = object["checks"] as! [[String: Any]]
                change(&checks[index])
                object["checks"] = checks
            }
        }
        let verdicts = try Self.validate([
            "no-summary": try mutated { $0["summary"] = nil },
            "extra-member": try mutated { $0["verdict"] = "ok" },
            "bad-profile": try mutated { $0["profile"] = "torch-3.0" },
            "negative-seed": try mutated { $0["seed"] = -1 },
            "bad-status": try mutated(check(0) { $0["status"] = "flaky" }),
            "short-histogram": try mutated(
                check(0) { check in
                    var histograms = check["ratioHistograms"] as! [String: [String: Any]]
                    histograms["float32"]!["counts"] = [Int](repeating: 0, count: 22)
                    check["ratioHistograms"] = histograms
                }),
            "bad-dtype-key": try mutated(
                check(0) { check in
                    var histograms = check["ratioHistograms"] as! [String: Any]
                    histograms["int8"] = histograms["float32"]
                    check["ratioHistograms"] = histograms
                }),
            "null-failure": try mutated(check(0) { $0["failure"] = NSNull() }),
            "bad-ratio-string": try mutated(check(1) { $0["worstRatio"] = "infinity" }),
            "bad-base64": try mutated(
                check(1) { check in
                    var failure = check["failure"] as! [String: Any]
                    var call = failure["call"] as! [String: Any]
                    var input = call["input"] as! [String: Any]
                    input["data"] = "not base64!"
                    call["input"] = input
                    failure["call"] = call
                    check["failure"] = failure
                }),
        ])
        #expect(verdicts.count == 10)
        for (name, verdict) in verdicts { #expect(verdict.hasPrefix("invalid"), "\(name): \(verdict)") }
    }
}
