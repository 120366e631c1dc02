import CandidateProtocol
import GNLLTestSupport
import GaussianNLL
import Testing

/// Whether two results carry the same hvp and jvp bit for bit.
func sameHigherOrder(_ a: LossResult, _ b: LossResult) -> Bool {
    guard (a.hvp == nil) == (b.hvp == nil) else { return false }
    if let x = a.hvp, let y = b.hvp {
        guard sameBits(x.input, y.input), sameBits(x.target, y.target), sameBits(x.variance, y.variance) else {
            return false
        }
    }
    return sameBits(a.jvp, b.jvp)
}

/// Hand-made calls with hvp and jvp requests; no value here comes from the reference.
enum HigherOrderCalls {
    /// float32 [2] operands; input and var require grad, with tangents [0.5, -0.25] and [0.25, 4].
    static func inputAndVar(hvp: Bool = true, jvp: Bool = true) -> LossCase {
        LossCase(
            input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([1, 2])), reduction: "sum",
            gradOutput: .scalar(1, dtype: .float32),
            requiresGrad: RequiresGrad(input: true, target: false, variance: true),
            higherOrder: HigherOrderRequest(
                tangents: OperandTensors(input: tensor([0.5, -0.25]), target: nil, variance: tensor([0.25, 4])),
                hvp: hvp, jvp: jvp))
    }

    /// float64 operands and a scalar var; input and target require grad.
    static let scalarVar = LossCase(
        input: tensor([1, 2], [2], .float64), target: tensor([0.5], [1], .float64), variance: .scalar(0.5),
        reduction: "none", gradOutput: tensor([1, -1], [2], .float64),
        requiresGrad: RequiresGrad(input: true, target: true, variance: false),
        higherOrder: HigherOrderRequest(
            tangents: OperandTensors(
                input: tensor([0.5, -0.25], [2], .float64), target: tensor([3], [1], .float64), variance: nil)))

    /// A result for ``inputAndVar(hvp:jvp:)``: hand-made tensors (they need not be the loss's true derivatives).
    static func answer(hvp: Bool = true, jvp: Bool = true) -> LossResult {
        LossResult(
            loss: .scalar(2.5, dtype: .float32),
            gradients: OperandTensors(input: tensor([1, 1]), target: nil, variance: tensor([0.25, 0.5])),
            hvp: hvp ? OperandTensors(input: tensor([0.5, -0.25]), target: nil, variance: tensor([3, -1])) : nil,
            jvp: jvp ? .scalar(-0.75, dtype: .float32) : nil)
    }
}

@Suite("Protocol messages: hvp and jvp (protocol 2)")
struct HigherOrderMessageTests {
    static let zero = MessageTests.zero
    static let pair = MessageTests.pair

    @Test("An hvp and jvp request is written as the protocol says, and decodes to the same call")
    func requestText() throws {
        let call = HigherOrderCalls.inputAndVar()
        let line = String(decoding: try ProtocolMessages.evalRequest(id: 9, call: call), as: UTF8.self)
        #expect(
            line.hasSuffix(
                #""requires_grad":{"input":true,"target":false,"var":true},"hvp":true,"jvp":true,"#
                    + #""tangents":{"input":{"dtype":"float32","shape":[2],"data":"AAAAPwAAgL4="},"#
                    + #""var":{"dtype":"float32","shape":[2],"data":"AACAPgAAgEA="}}}"# + "\n"))
        guard case .eval(let id, let decoded) = try ProtocolMessages.decodeRequest(Array(line.utf8)) else {
            Issue.record("not an eval request")
            return
        }
        #expect(id == 9)
        #expect(sameBits(decoded, call))
        #expect(decoded.requiresGrad == call.requiresGrad)
        let request = try #require(decoded.higherOrder)
        #expect(request.hvp && request.jvp)
        #expect(sameBits(request.tangents.input, call.higherOrder?.tangents.input))
        #expect(request.tangents.target == nil)
        #expect(sameBits(request.tangents.variance, call.higherOrder?.tangents.variance))

        // Only what is asked for is written; a tangent per operand that requires grad, whatever is asked.
        let hvpOnly = String(
            decoding: try ProtocolMessages.evalRequest(id: 9, call: HigherOrderCalls.inputAndVar(jvp: false)),
            as: UTF8.self)
        #expect(hvpOnly.contains(#""hvp":true,"tangents":{"input":"#) && !hvpOnly.contains("jvp"))
        let jvpOnly = try ProtocolMessages.evalRequest(id: 9, call: HigherOrderCalls.inputAndVar(hvp: false))
        guard case .eval(_, let jvpCall) = try ProtocolMessages.decodeRequest(jvpOnly) else {
            Issue.record("not an eval request")
            return
        }
        #expect(jvpCall.higherOrder?.hvp == false && jvpCall.higherOrder?.jvp == true)

        // A scalar var: tangents for input and target only.
        let scalarLine = try ProtocolMessages.evalRequest(id: 10, call: HigherOrderCalls.scalarVar)
        guard case .eval(_, let scalarCall) = try ProtocolMessages.decodeRequest(scalarLine) else {
            Issue.record("not an eval request")
            return
        }
        #expect(sameBits(scalarCall.higherOrder?.tangents.target, tensor([3], [1], .float64)))
        #expect(scalarCall.higherOrder?.tangents.variance == nil)
        #expect(
            String(decoding: scalarLine, as: UTF8.self).contains(
                #""tangents":{"input":{"dtype":"float64","shape":[2],"data":"AAAAAAAA4D8AAAAAAADQvw=="},"target":"#))
    }

    @Test("The suite refuses to send an hvp or jvp request in protocol 1, or one whose tangents are wrong")
    func requestEncodingErrors() {
        // Every operand requires grad, so that hvp and jvp are all that protocol 1 lacks.
        var everyOperand = HigherOrderCalls.inputAndVar()
        everyOperand.requiresGrad = .all
        everyOperand.higherOrder?.tangents.target = tensor([1, 1])
        expectProtocolError("request 3", "protocol 1 cannot express hvp and jvp") {
            _ = try ProtocolMessages.evalRequest(id: 3, call: everyOperand, version: 1)
        }
        everyOperand.higherOrder?.hvp = false
        expectProtocolError("protocol 1 cannot express jvp") {
            _ = try ProtocolMessages.evalRequest(id: 3, call: everyOperand, version: 1)
        }
        #expect((try? ProtocolMessages.evalRequest(id: 3, call: everyOperand)) != nil)  // protocol 2 sends it
        var extra = HigherOrderCalls.inputAndVar()
        extra.higherOrder?.tangents.target = tensor([1, 1])
        expectProtocolError("request 3: cannot be sent: a tangent for target, which does not require grad") {
            _ = try ProtocolMessages.evalRequest(id: 3, call: extra)
        }
        var wrongShape = HigherOrderCalls.inputAndVar()
        wrongShape.higherOrder?.tangents.variance = tensor([1])
        expectProtocolError("cannot be sent: var's tangent must have var's shape and dtype") {
            _ = try ProtocolMessages.evalRequest(id: 3, call: wrongShape)
        }
        var noGradient = HigherOrderCalls.inputAndVar()
        noGradient.gradOutput = nil
        expectProtocolError("cannot be sent: hvp and jvp need grad_output") {
            _ = try ProtocolMessages.evalRequest(id: 3, call: noGradient)
        }
    }

    /// The head of a request for id 6 whose input and var (float32 [2]) require grad and target does not.
    static let head =
        #"{"op":"eval","id":6,"input":\#(pair),"target":\#(pair),"var":\#(pair),"full":false,"eps":1e-6,"#
        + #""reduction":"sum","grad":true,"grad_output":\#(zero),"#
        + #""requires_grad":{"input":true,"target":false,"var":true}"#

    @Test(
        "A malformed hvp or jvp request is an error naming the field, with the id",
        arguments: [
            (#","hvp":true}"#, #"field "tangents": missing"#),
            (#","hvp":1,"tangents":{}}"#, #"field "hvp": expected a Boolean, not an integer"#),
            (#","jvp":true,"tangents":[1]}"#, #"field "tangents": expected an object, not an array"#),
            (
                #","hvp":true,"tangents":{"input":\#(pair)}}"#,
                #"field "tangents.var": missing, but var requires grad"#
            ),
            (
                #","hvp":true,"tangents":{"input":\#(pair),"target":\#(pair),"var":\#(pair)}}"#,
                #"field "tangents.target": present, but target does not require grad"#
            ),
            (
                #","jvp":true,"tangents":{"input":{"dtype":"float64","shape":[2],"data":"AAAAAAAAAAAAAAAAAAAAAA=="},"#
                    + #""var":\#(pair)}}"#,
                #"field "tangents.input": has dtype float64, but input is float32"#
            ),
            (
                #","jvp":true,"tangents":{"input":\#(pair),"var":\#(zero)}}"#,
                #"field "tangents.var": has shape [], but var has shape [2]"#
            ),
            (
                #","jvp":true,"tangents":{"input":\#(pair),"var":{"dtype":"float32","shape":[2],"data":"AAAA"}}}"#,
                #"field "tangents.var.data": invalid base64"#
            ),
            (
                #","hvp":false,"jvp":false,"tangents":{}}"#,
                #"field "tangents": present, but neither hvp nor jvp is true"#
            ),
        ])
    func malformedRequest(tail: String, fragment: String) {
        do {
            let request = try ProtocolMessages.decodeRequest(bytes(Self.head + tail))
            Issue.record("decoded \(request)")
        } catch {
            #expect(error.description.contains("request 6: " + fragment), "\(error)")
            #expect(error.id == 6)
        }
    }

    @Test("hvp or jvp without gradients, or a tangent for a scalar var, is an error")
    func requestWithoutGradients() {
        let noGrad =
            #"{"op":"eval","id":4,"input":\#(Self.zero),"target":\#(Self.zero),"var":\#(Self.zero),"full":false,"#
            + #""eps":1e-6,"reduction":"sum","grad":false,"jvp":true,"tangents":{"input":\#(Self.zero)}}"#
        expectProtocolError(#"request 4: field "jvp": true, but grad is false"#) {
            _ = try ProtocolMessages.decodeRequest(bytes(noGrad))
        }
        let scalar =
            #"{"op":"eval","id":4,"input":\#(Self.zero),"target":\#(Self.zero),"var":{"scalar":1},"full":false,"#
            + #""eps":1e-6,"reduction":"sum","grad":true,"grad_output":\#(Self.zero),"#
            + #""requires_grad":{"input":true,"target":true,"var":false},"hvp":true,"#
            + #""tangents":{"input":\#(Self.zero),"target":\#(Self.zero),"var":\#(Self.zero)}}"#
        expectProtocolError(#"field "tangents.var": present, but var is a scalar, which has no gradient"#) {
            _ = try ProtocolMessages.decodeRequest(bytes(scalar))
        }
        // An int32 target cannot require grad, so it has no tangent.
        let integer =
            #"{"op":"eval","id":4,"input":\#(Self.zero),"target":{"dtype":"int32","shape":[],"data":"AAAAAA=="},"#
            + #""var":\#(Self.zero),"full":false,"eps":1e-6,"reduction":"sum","grad":true,"#
            + #""grad_output":\#(Self.zero),"requires_grad":{"input":true,"target":false,"var":false},"jvp":true,"#
            + #""tangents":{"input":\#(Self.zero),"target":{"dtype":"int32","shape":[],"data":"AAAAAA=="}}}"#
        expectProtocolError(#"field "tangents.target": present, but target is int32, which cannot require grad"#) {
            _ = try ProtocolMessages.decodeRequest(bytes(integer))
        }
    }

    @Test("A result with hvp and jvp survives a response bit for bit; protocol 1 never writes them")
    func responseRoundTrip() throws {
        for (hvp, jvp) in [(true, true), (true, false), (false, true)] {
            let call = HigherOrderCalls.inputAndVar(hvp: hvp, jvp: jvp)
            let result = HigherOrderCalls.answer(hvp: hvp, jvp: jvp)
            let line = ProtocolMessages.encodeEvalResponse(id: 2, outcome: .success(result))
            let text = String(decoding: line, as: UTF8.self)
            #expect(text.contains("hvp_input") == hvp && text.contains("hvp_var") == hvp)
            #expect(!text.contains("hvp_target") && !text.contains("grad_target"))
            #expect(text.contains(#""jvp":{"dtype":"float32","shape":[],"#) == jvp)
            let decoded = try ProtocolMessages.decodeEvalResponse(line, expectedID: 2, call: call)
            guard case .success(let got) = decoded else {
                Issue.record("\(decoded)")
                continue
            }
            #expect(sameBits(decoded, .success(result)))
            #expect(sameHigherOrder(got, result))
        }
        let version1 = String(
            decoding: ProtocolMessages.encodeEvalResponse(
                id: 2, outcome: .success(HigherOrderCalls.answer()), version: 1), as: UTF8.self)
        #expect(!version1.contains("hvp") && !version1.contains("jvp"))
    }

    static let answerHead =
        #"{"id":2,"ok":true,"loss":\#(zero),"grad_input":\#(pair),"grad_var":\#(pair)"#

    @Test(
        "hvp_* exactly for the operands that require grad when hvp is asked for, jvp exactly when jvp is",
        arguments: [
            (#","hvp_input":\#(pair),"jvp":\#(zero)}"#, true, true, #"field "hvp_var": missing"#),
            (#","hvp_input":\#(pair),"hvp_var":\#(pair)}"#, true, true, #"field "jvp": missing"#),
            (#","hvp_input":\#(pair),"hvp_var":\#(pair),"jvp":null}"#, true, true, #"field "jvp": missing"#),
            (
                #","hvp_input":\#(pair),"hvp_target":\#(pair),"hvp_var":\#(pair),"jvp":\#(zero)}"#, true, true,
                #"field "hvp_target": present, but target does not require grad"#
            ),
            (
                #","hvp_input":\#(pair),"hvp_var":\#(pair),"jvp":\#(zero)}"#, true, false,
                #"field "jvp": present, but no jvp was asked for"#
            ),
            (
                #","hvp_input":\#(pair),"jvp":\#(zero)}"#, false, true,
                #"field "hvp_input": present, but no hvp was asked for"#
            ),
            (
                #","hvp_input":7,"hvp_var":\#(pair),"jvp":\#(zero)}"#, true, true,
                #"field "hvp_input": expected a tensor"#
            ),
        ])
    func responsePresence(tail: String, hvp: Bool, jvp: Bool, fragment: String) {
        expectProtocolError("response 2: " + fragment) {
            _ = try ProtocolMessages.decodeEvalResponse(
                bytes(Self.answerHead + tail), expectedID: 2, call: HigherOrderCalls.inputAndVar(hvp: hvp, jvp: jvp))
        }
    }

    @Test("Null reads as absent; a call without a request takes no hvp or jvp")
    func responseNulls() throws {
        let line = Self.answerHead + #","hvp_input":\#(Self.pair),"hvp_target":null,"hvp_var":\#(Self.pair)}"#
        let outcome = try ProtocolMessages.decodeEvalResponse(
            bytes(line), expectedID: 2, call: HigherOrderCalls.inputAndVar(jvp: false))
        guard case .success(let result) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(result.hvp?.present == RequiresGrad(input: true, target: false, variance: true))
        #expect(result.jvp == nil)
        var plain = HigherOrderCalls.inputAndVar()
        plain.higherOrder = nil
        expectProtocolError(#"field "jvp": present, but no jvp was asked for"#) {
            _ = try ProtocolMessages.decodeEvalResponse(
                bytes(Self.answerHead + #","jvp":\#(Self.zero)}"#), expectedID: 2, call: plain)
        }
        // Nor does a call without gradients.
        var lossOnly = plain
        lossOnly.gradOutput = nil
        expectProtocolError(#"field "hvp_input": present, but no hvp was asked for"#) {
            _ = try ProtocolMessages.decodeEvalResponse(
                bytes(#"{"id":2,"ok":true,"loss":\#(Self.zero),"hvp_input":\#(Self.pair)}"#), expectedID: 2,
                call: lossOnly)
        }
        let none = try ProtocolMessages.decodeEvalResponse(
            bytes(Self.answerHead + #","hvp_var":null,"jvp":null}"#), expectedID: 2, call: plain)
        guard case .success(let bare) = none else {
            Issue.record("\(none)")
            return
        }
        #expect(bare.hvp == nil && bare.jvp == nil)
    }

    @Test("hvp and jvp are protocol 2 features: a protocol 1 hello that declares one is refused")
    func helloFeatures() throws {
        let info = CandidateInfo(
            name: "x", version: "1", dtypes: [.float64], features: [.grad, .hvp, .jvp], protocolVersion: 2)
        #expect(try ProtocolMessages.decodeHelloResponse(ProtocolMessages.encodeHelloResponse(info)) == info)
        expectProtocolError(#"hello response: field "features[1]": jvp needs protocol 2, but the candidate chose 1"#) {
            _ = try ProtocolMessages.decodeHelloResponse(
                bytes(#"{"ok":true,"protocol":1,"name":"x","version":"1","features":["grad","jvp"]}"#))
        }
    }
}

@Suite("Hostile hvp and jvp messages never trap")
struct HostileHigherOrderTests {
    /// Seeded, like ``HostileInputTests``: mutated hvp and jvp requests and responses decode or throw.
    @Test("Mutated and truncated hvp and jvp messages either decode or throw, never trap")
    func mutations() throws {
        var generator = SeededRandomNumberGenerator(seed: 20_261_208)
        let call = HigherOrderCalls.inputAndVar()
        let request = try ProtocolMessages.evalRequest(id: 9, call: call)
        let response = ProtocolMessages.encodeEvalResponse(id: 9, outcome: .success(HigherOrderCalls.answer()))
        let interesting: [UInt8] = Array(#"{}[]",:\-+.eE0123456789tfnu "#.utf8) + [0x00, 0x80, 0xFF]
        var decoded = 0
        var rejected = 0
        for round in 0..<2000 {
            var line = round % 2 == 0 ? request : response
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<line.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: line[position] = interesting.randomElement(using: &generator)!
                case 1: line.remove(at: position)
                case 2: line.insert(interesting.randomElement(using: &generator)!, at: position)
                default: line.removeSubrange(position...)
                }
                if line.isEmpty { line = [0x7B] }
            }
            let attempts = [
                (try? ProtocolMessages.decodeRequest(line)) != nil,
                (try? ProtocolMessages.decodeEvalResponse(line, expectedID: 9, call: call)) != nil,
            ]
            decoded += attempts.count { $0 }
            rejected += attempts.count { !$0 }
        }
        #expect(decoded > 0)
        #expect(rejected > decoded)
    }
}
