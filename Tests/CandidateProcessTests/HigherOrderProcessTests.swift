import CandidateProcess
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing

/// The NumPy adapter of this repository (`Tools/candidates/numpy_candidate.py`), run by a python3 with numpy.
private enum NumpyAdapter {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tools/candidates/numpy_candidate.py").path

    /// Whether the fixture's python3 imports numpy.
    static let available: Bool = {
        guard let python = Fixture.python else { return false }
        let probe = try? runProcess(URL(fileURLWithPath: python), ["-c", "import numpy"], timeout: 60)
        return probe?.status == 0
    }()
}

@Suite("hvp and jvp across the process boundary: the suite's codec with gnll.candidate")
struct HigherOrderProcessTests {
    /// input 1, target 0, var 2, eps 1e-6, reduction sum, grad_output 1, tangents 1 for input and var:
    /// d = 1, v = 2, d' = 1, v' = 1, so by CONFORMANCE §4's formulas hvp_input = d'/v − d v'/v² = 0.25,
    /// hvp_var = −d d'/v² + (d²/v³ − 1/(2v²)) v' = −0.25 and jvp = d d'/v + (1/(2v) − d²/(2v²)) v' = 0.625 (var
    /// passes the clamp's test), all exact in float64.
    @Test(
        "The NumPy adapter declares hvp and jvp and answers a hand-checked call through the protocol",
        .enabled(if: NumpyAdapter.available, "python3 with numpy is needed"))
    func numpyAdapter() throws {
        let command = "exec \(Fixture.quote(Fixture.python!)) \(Fixture.quote(NumpyAdapter.script))"
        let candidate = try ProcessCandidate(command: command, options: Fixture.options)
        defer { candidate.close() }
        #expect(candidate.info.protocolVersion == 2)
        #expect(candidate.info.features.contains(.hvp) && candidate.info.features.contains(.jvp))
        let one = tensor([1], [1], .float64)
        let call = LossCase(
            input: one, target: tensor([0], [1], .float64), variance: .tensor(tensor([2], [1], .float64)),
            reduction: "sum", gradOutput: .scalar(1, dtype: .float64),
            requiresGrad: RequiresGrad(input: true, target: false, variance: true),
            higherOrder: HigherOrderRequest(tangents: OperandTensors(input: one, target: nil, variance: one)))
        let answers = candidate.evaluate([call])
        guard case .outcome(.success(let result)) = answers.first else {
            Issue.record("\(answers)")
            return
        }
        #expect(result.hvp?.input?.values == [0.25])
        #expect(result.hvp?.target == nil)
        #expect(result.hvp?.variance?.values == [-0.25])
        #expect(result.jvp?.values == [0.625])
        #expect(result.jvp?.shape == [] && result.jvp?.dtype == .float64)
    }
}
