import CandidateProtocol
import GNLLTestSupport
import GaussianNLL
import Testing

/// Calls that stress the codec: special values of every dtype, 0-d and zero-size tensors, scalar vars,
/// odd eps and reduction strings.
enum Calls {
    /// A tensor from raw little-endian bits, so that NaN payloads and signs can be chosen.
    static func bits(_ dtype: DType, _ patterns: [UInt64], _ shape: Shape? = nil) -> Tensor {
        var bytes: [UInt8] = []
        for pattern in patterns {
            for byte in 0..<dtype.byteWidth { bytes.append(UInt8(truncatingIfNeeded: pattern >> (8 * byte))) }
        }
        return try! Tensor(dtype: dtype, shape: shape ?? [patterns.count], littleEndianBytes: bytes)
    }

    static let float32Special = bits(
        .float32,
        [
            0x7FC0_0000, 0xFFC0_0001, 0x8000_0000, 0x0000_0001, 0x807F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7F7F_FFFF,
            0x3F80_0000,
        ])
    static let float64Special = bits(
        .float64,
        [
            0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0ABC, 0x8000_0000_0000_0000, 0x0000_0000_0000_0001,
            0x000F_FFFF_FFFF_FFFF, 0x7FF0_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0x3FB9_9999_9999_999A,
        ])
    static let float16Special = bits(.float16, [0x7E00, 0xFE01, 0x8000, 0x0001, 0x03FF, 0x7C00, 0x7BFF, 0x3C00])
    static let bfloat16Special = bits(.bfloat16, [0x7FC0, 0xFFC1, 0x8000, 0x0001, 0x007F, 0x7F80, 0x7F7F, 0x3F80])

    static let all: [LossCase] = [
        LossCase(
            input: float32Special, target: tensor(Array(repeating: 0, count: 9), [9]),
            variance: .tensor(float32Special), full: false, eps: 1e-6, reduction: "none"),
        LossCase(
            input: float64Special, target: float64Special, variance: .scalar(-0.0), full: true,
            eps: .leastNonzeroMagnitude, reduction: "sum", gradOutput: .scalar(-0.0, dtype: .float64)),
        LossCase(
            input: float16Special, target: bfloat16Special, variance: .tensor(.scalar(0.5, dtype: .float16)),
            eps: 0, reduction: "mean", gradOutput: .scalar(1, dtype: .float32)),
        LossCase(
            input: try! .filled(0, dtype: .float32, shape: [2, 0, 3]), target: tensor([], [0]),
            variance: .tensor(tensor([], [0, 1], .float64)), eps: -1.5, reduction: "bogus \"quoted\" é\n\u{1}",
            gradOutput: tensor([], [2, 0, 3])),
        LossCase(
            input: .scalar(1, dtype: .bfloat16), target: .scalar(2, dtype: .bfloat16),
            variance: .scalar(.leastNonzeroMagnitude), eps: -0.0, reduction: ""),
        LossCase(
            input: tensor([1, 2, 3, 4, 5, 6], [2, 3], .float64), target: tensor([1], [1], .float64),
            variance: .scalar(1e308), eps: 1e300, reduction: "mean",
            gradOutput: .scalar(.greatestFiniteMagnitude, dtype: .float64)),
    ]
}

@Suite("Protocol messages: encoding and decoding for both sides")
struct MessageTests {
    @Test("An eval request is written exactly as the protocol says")
    func evalRequestText() throws {
        let call = LossCase(input: tensor([1]), target: tensor([0]), variance: .tensor(tensor([1])))
        let line = try ProtocolMessages.evalRequest(id: 7, call: call)
        let expected =
            #"{"op":"eval","id":7,"input":{"dtype":"float32","shape":[1],"data":"AACAPw=="},"#
            + #""target":{"dtype":"float32","shape":[1],"data":"AAAAAA=="},"#
            + #""var":{"dtype":"float32","shape":[1],"data":"AACAPw=="},"full":false,"eps":1e-06,"#
            + #""reduction":"mean","grad":false}"# + "\n"
        #expect(String(decoding: line, as: UTF8.self) == expected)

        let gradCall = LossCase(
            input: .scalar(2, dtype: .float64), target: .scalar(0, dtype: .float64), variance: .scalar(0.5), full: true,
            eps: 0.25, reduction: "sum", gradOutput: .scalar(1, dtype: .float64))
        let gradLine = String(decoding: try ProtocolMessages.evalRequest(id: 8, call: gradCall), as: UTF8.self)
        #expect(gradLine.contains(#""var":{"scalar":0.5},"full":true,"eps":0.25,"reduction":"sum","grad":true,"#))
        #expect(
            gradLine.hasSuffix(
                #""grad_output":{"dtype":"float64","shape":[],"data":"AAAAAAAA8D8="},"#
                    + #""requires_grad":{"input":true,"target":true,"var":false}}"# + "\n"))
        // Protocol 1 has no requires_grad.
        let version1 = String(
            decoding: try ProtocolMessages.evalRequest(id: 8, call: gradCall, version: 1), as: UTF8.self)
        #expect(version1.hasSuffix(#""grad_output":{"dtype":"float64","shape":[],"data":"AAAAAAAA8D8="}}"# + "\n"))
    }

    @Test("Protocol 2: non-finite numbers as strings, requires_grad, integer and bool tensors, both ways")
    func version2Request() throws {
        var call = LossCase(
            input: try Tensor(dtype: .int32, shape: [2], values: [-3, 2_147_483_647]),
            target: try Tensor(dtype: .float32, shape: [2], values: [0.5, 1]),
            variance: .scalar(-.infinity), eps: .nan, reduction: "none",
            gradOutput: try Tensor(dtype: .float32, shape: [2], values: [1, 1]),
            requiresGrad: RequiresGrad(input: false, target: true, variance: false))
        let line = String(decoding: try ProtocolMessages.evalRequest(id: 4, call: call), as: UTF8.self)
        // int32 −3 and 2^31 − 1, little-endian: FD FF FF FF FF FF FF 7F.
        #expect(line.contains(#""input":{"dtype":"int32","shape":[2],"data":"/f///////38="}"#))
        #expect(line.contains(#""var":{"scalar":"-Infinity"},"full":false,"eps":"NaN""#))
        #expect(line.contains(#""requires_grad":{"input":false,"target":true,"var":false}"#))
        guard case .eval(_, let decoded) = try ProtocolMessages.decodeRequest(Array(line.utf8)) else {
            Issue.record("not an eval request")
            return
        }
        #expect(decoded.input == call.input)
        #expect(decoded.eps.isNaN && decoded.variance == .scalar(-.infinity))
        #expect(decoded.requiresGrad == RequiresGrad(input: false, target: true, variance: false))
        call.eps = .infinity
        let bools = LossCase(
            input: try Tensor(dtype: .bool, shape: [3], values: [1, 0, 1]), target: call.target,
            variance: .scalar(1), eps: .infinity)
        let boolLine = String(decoding: try ProtocolMessages.evalRequest(id: 5, call: bools), as: UTF8.self)
        #expect(boolLine.contains(#""input":{"dtype":"bool","shape":[3],"data":"AQAB"}"#))
        #expect(boolLine.contains(#""eps":"Infinity""#))
        // Protocol 1 cannot express any of it.
        expectProtocolError("request 4", "protocol 1 cannot express a non-finite eps") {
            _ = try ProtocolMessages.evalRequest(id: 4, call: call, version: 1)
        }
    }

    @Test("A non-finite number is one of three exact spellings")
    func version2NonFiniteSpelling() {
        let line =
            #"{"op":"eval","id":3,"input":{"dtype":"float32","shape":[],"data":"AAAAAA=="},"#
            + #""target":{"dtype":"float32","shape":[],"data":"AAAAAA=="},"var":{"scalar":1},"full":false,"#
            + #""eps":"nan","reduction":"mean","grad":false}"#
        expectProtocolError(
            "request 3", #"field "eps": expected a number, "NaN", "Infinity" or "-Infinity", not "nan""#
        ) {
            _ = try ProtocolMessages.decodeRequest(bytes(line))
        }
    }

    @Test(
        "Malformed protocol 2 tensors and requires_grad are errors naming the field",
        arguments: [
            (
                #""input":{"dtype":"bool","shape":[1],"data":"Ag=="}"#, "",
                #"field "input": element 0 (at byte 0) is not a bool (0 or 1)"#
            ),
            (
                #""input":{"dtype":"int64","shape":[1],"data":"AAAAAAAAQAA="}"#, "",
                #"field "input": element 0 (at byte 0) is not an int64 the suite can hold"#
            ),
            (
                #""input":{"dtype":"float32","shape":[],"data":"AAAAAA=="}"#,
                #","grad":false,"requires_grad":{"input":true,"target":true,"var":true}"#,
                #"field "requires_grad": present, but grad is false"#
            ),
            (
                #""input":{"dtype":"int32","shape":[],"data":"AAAAAA=="}"#,
                #","grad":true,"grad_output":{"dtype":"float32","shape":[],"data":"AAAAAA=="},"#
                    + #""requires_grad":{"input":true,"target":true,"var":true}"#,
                #"field "requires_grad.input": true, but input is int32"#
            ),
            (
                #""input":{"dtype":"float32","shape":[],"data":"AAAAAA=="}"#,
                #","grad":true,"grad_output":{"dtype":"float32","shape":[],"data":"AAAAAA=="},"#
                    + #""requires_grad":{"input":false,"target":false,"var":false}"#,
                #"field "requires_grad": no operand requires grad, but grad is true"#
            ),
        ])
    func version2MalformedFields(input: String, tail: String, fragment: String) {
        let line =
            #"{"op":"eval","id":3,"# + input + #","target":{"dtype":"float32","shape":[],"data":"AAAAAA=="},"#
            + #""var":{"dtype":"float32","shape":[],"data":"AACAPw=="},"full":false,"eps":1e-6,"reduction":"mean""#
            + (tail.isEmpty ? #","grad":false"# : tail) + "}"
        expectProtocolError("request 3", fragment) { _ = try ProtocolMessages.decodeRequest(bytes(line)) }
    }

    @Test("Protocol 2 responses: a gradient exactly for each operand that requires grad")
    func version2Responses() throws {
        let call = LossCase(
            input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([1, 2])),
            gradOutput: .scalar(1, dtype: .float32),
            requiresGrad: RequiresGrad(input: true, target: false, variance: true))
        let head = #"{"id":2,"ok":true,"loss":\#(Self.zero),"grad_input":\#(Self.pair)"#
        let outcome = try ProtocolMessages.decodeEvalResponse(
            bytes(head + #","grad_target":null,"grad_var":\#(Self.pair)}"#), expectedID: 2, call: call)
        guard case .success(let result) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(result.gradients?.present == RequiresGrad(input: true, target: false, variance: true))
        expectProtocolError(#"field "grad_target": present, but target does not require grad"#) {
            _ = try ProtocolMessages.decodeEvalResponse(
                bytes(head + #","grad_target":\#(Self.pair),"grad_var":\#(Self.pair)}"#), expectedID: 2, call: call)
        }
        expectProtocolError(#"field "grad_var": missing"#) {
            _ = try ProtocolMessages.decodeEvalResponse(bytes(head + "}"), expectedID: 2, call: call)
        }
        // The encoder writes only the present gradients, and the kind other round-trips.
        let encoded = ProtocolMessages.encodeEvalResponse(id: 2, outcome: .success(result))
        #expect(try ProtocolMessages.decodeEvalResponse(encoded, expectedID: 2, call: call) == .success(result))
        #expect(!String(decoding: encoded, as: UTF8.self).contains("grad_target"))
        let other = Rejection(kind: .other, exceptionType: "", message: "ValueError: [vjp] Output shape (4)")
        #expect(
            try ProtocolMessages.decodeEvalResponse(
                ProtocolMessages.encodeEvalResponse(id: 2, outcome: .rejection(other)), expectedID: 2, call: call)
                == .rejection(other))
    }

    @Test("hello and bye requests")
    func fixedRequests() throws {
        #expect(
            String(decoding: ProtocolMessages.helloRequest, as: UTF8.self)
                == "{\"op\":\"hello\",\"protocol\":1,\"protocols\":[1,2]}\n")
        #expect(String(decoding: ProtocolMessages.byeRequest, as: UTF8.self) == "{\"op\":\"bye\"}\n")
        #expect(try ProtocolMessages.decodeRequest(ProtocolMessages.helloRequest) == .hello(offered: [1, 2]))
        #expect(try ProtocolMessages.decodeRequest(ProtocolMessages.byeRequest) == .bye)
        // A hello without a list offers its one version.
        #expect(try ProtocolMessages.decodeRequest(bytes(#"{"op":"hello","protocol":2}"#)) == .hello(offered: [2]))
    }

    @Test("Every call survives an eval request bit for bit", arguments: Calls.all.indices)
    func evalRequestRoundTrip(index: Int) throws {
        let call = Calls.all[index]
        let line = try ProtocolMessages.evalRequest(id: 1000 + index, call: call)
        #expect(line.last == 0x0A)
        #expect(line.dropLast().contains(0x0A) == false)
        let request = try ProtocolMessages.decodeRequest(line)
        guard case .eval(let id, let decoded) = request else {
            Issue.record("decoded \(request)")
            return
        }
        #expect(id == 1000 + index)
        #expect(sameBits(decoded, call))
        #expect(decoded.wantsGradients == call.wantsGradients)
    }

    @Test("eps or a scalar var that protocol 1 cannot express is an encoding error there")
    func nonFiniteNumbers() {
        let base = LossCase(input: tensor([1]), target: tensor([0]), variance: .scalar(1))
        for eps in [Double.nan, .infinity, -.infinity] {
            var call = base
            call.eps = eps
            expectProtocolError("request 3", "protocol 1 cannot express a non-finite eps (\(eps))") {
                _ = try ProtocolMessages.evalRequest(id: 3, call: call, version: 1)
            }
        }
        var call = base
        call.variance = .scalar(.infinity)
        expectProtocolError("a non-finite scalar var (inf)") {
            _ = try ProtocolMessages.evalRequest(id: 3, call: call, version: 1)
        }
    }

    // MARK: - Hello

    @Test("A hello response round-trips")
    func helloRoundTrip() throws {
        let infos = [
            ReferenceCandidate().info, ReferenceCandidate(profile: .torch1_8).info,
            CandidateInfo(name: "näme \"q\"", version: "", profile: .torch2_6, dtypes: [.bfloat16], features: []),
        ]
        for info in infos {
            #expect(try ProtocolMessages.decodeHelloResponse(ProtocolMessages.encodeHelloResponse(info)) == info)
        }
    }

    @Test("Absent hello fields take the protocol's defaults")
    func helloDefaults() throws {
        let info = try ProtocolMessages.decodeHelloResponse(
            bytes(#"{"ok": true, "protocol": 1, "name": "x", "version": "0.1", "extra": [1]}"#))
        #expect(info == CandidateInfo(name: "x", version: "0.1", protocolVersion: 1))
        #expect(info.profile == .torch2_10)
        #expect(info.dtypes == [.float32, .float64])
        #expect(info.features == [.grad])
    }

    @Test(
        "A bad hello response is an error that names the field",
        arguments: [
            (
                #"{"ok":true,"protocol":1,"name":"x","version":"1","profile":"torch-3.0"}"#,
                #"field "profile": unknown profile "torch-3.0""#
            ),
            (
                #"{"ok":true,"protocol":1,"name":"x","version":"1","dtypes":["float32","int8"]}"#,
                #"field "dtypes[1]": unknown dtype "int8""#
            ),
            (
                #"{"ok":true,"protocol":1,"name":"x","version":"1","features":["fast"]}"#,
                #"field "features[0]": unknown feature "fast""#
            ),
            // A candidate that evaluates no dtype would be judged on nothing.
            (
                #"{"ok":true,"protocol":1,"name":"x","version":"1","dtypes":[]}"#,
                #"field "dtypes": is empty: a candidate must evaluate at least one dtype"#
            ),
            (
                #"{"ok":true,"protocol":1,"name":"x","version":"1","dtypes":"float32"}"#,
                #"field "dtypes": expected an array"#
            ),
            (
                #"{"ok":true,"protocol":3,"name":"x","version":"1"}"#,
                #"field "protocol": the candidate speaks protocol 3; the suite offered 1 and 2"#
            ),
            (
                #"{"ok":true,"protocol":1,"name":"x","version":"1","dtypes":["float32","int64"]}"#,
                #"field "dtypes[1]": int64 needs protocol 2, but the candidate chose 1"#
            ),
            (#"{"ok":true,"protocol":1,"version":"1"}"#, #"field "name": missing"#),
            (#"{"ok":true,"protocol":1,"name":7,"version":"1"}"#, #"field "name": expected a string, not an integer"#),
            (#"{"protocol":1,"name":"x","version":"1"}"#, #"field "ok": missing"#),
            (
                #"{"id":null,"ok":false,"error":{"kind":"unsupported","message":"protocol 1 is not supported"}}"#,
                "refused the handshake: \"protocol 1 is not supported\""
            ),
            (#"[1]"#, "expected a JSON object, not an array"),
            ("Welcome!", "invalid JSON at byte 0"),
        ])
    func badHello(line: String, fragment: String) {
        expectProtocolError("hello response: ", fragment) { _ = try ProtocolMessages.decodeHelloResponse(bytes(line)) }
    }

    // MARK: - Eval responses

    static let answerCalls: [LossCase] = [
        LossCase(
            input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([1, 2])), reduction: "none"),
        LossCase(
            input: tensor([1, 2], [2], .float64), target: tensor([0.5], [1], .float64),
            variance: .tensor(tensor([1, 2], [2], .float64)), gradOutput: .scalar(1, dtype: .float64)),
        LossCase(
            input: tensor([1, 2], [2], .float16), target: tensor([0, 1], [2], .float16), variance: .scalar(0.25),
            reduction: "sum", gradOutput: .scalar(1, dtype: .float16)),
        LossCase(input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([-1, 2]))),
        LossCase(input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([1, 2])), reduction: "avg"),
        LossCase(
            input: tensor([.nan, 0], [2], .bfloat16), target: tensor([0, -0.0], [2], .bfloat16),
            variance: .tensor(tensor([0, 1e-40], [2], .bfloat16)), eps: 0, reduction: "none",
            gradOutput: tensor([1, 1], [2], .bfloat16)),
    ]

    @Test("The reference's outcomes survive an eval response bit for bit", arguments: answerCalls.indices)
    func evalResponseRoundTrip(index: Int) throws {
        let call = Self.answerCalls[index]
        let outcome = Reference.evaluate(call)
        let line = ProtocolMessages.encodeEvalResponse(id: 40 + index, outcome: outcome)
        #expect(line.last == 0x0A)
        let decoded = try ProtocolMessages.decodeEvalResponse(line, expectedID: 40 + index, call: call)
        #expect(sameBits(decoded, outcome))
        if case .rejection(let rejection) = decoded { #expect(rejection.exceptionType == "") }
    }

    @Test("An error response decodes as a rejection of that kind", arguments: RejectionKind.allCases)
    func errorResponse(kind: RejectionKind) throws {
        let line = ProtocolMessages.encodeErrorResponse(id: 5, kind: kind, message: "why \"not\"\n")
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"id":5,"ok":false,"error":{"kind":"\#(kind.rawValue)","message":"why \"not\"\n"}}"# + "\n")
        let outcome = try ProtocolMessages.decodeEvalResponse(line, expectedID: 5, call: Self.answerCalls[0])
        #expect(outcome == .rejection(Rejection(kind: kind, exceptionType: "", message: "why \"not\"\n")))
        #expect(
            String(decoding: ProtocolMessages.encodeErrorResponse(id: nil, kind: kind, message: ""), as: UTF8.self)
                .hasPrefix(#"{"id":null,"#))
    }

    static let zero = #"{"dtype":"float32","shape":[],"data":"AAAAAA=="}"#
    /// An eval request for id 6 up to its reduction, without the closing brace.
    static let evalPrefix =
        #"{"op":"eval","id":6,"input":\#(zero),"target":\#(zero),"var":\#(zero),"full":false,"eps":1e-6,"#
    static let pair = #"{"dtype":"float32","shape":[2],"data":"AAAAAAAAAAA="}"#

    @Test(
        "A malformed eval response is an error naming the response, the field and the problem",
        arguments: [
            ("Garbage!", false, #"response 17: invalid JSON at byte 0: unexpected 'G', expected a value"#),
            ("[]", false, "response 17: expected a JSON object, not an array"),
            (#"{"ok":true,"loss":\#(zero)}"#, false, #"response 17: field "id": missing"#),
            (#"{"id":18,"ok":true,"loss":\#(zero)}"#, false, #"response 17: field "id": expected id 17, got 18"#),
            (#"{"id":"17","ok":true,"loss":\#(zero)}"#, false, #"field "id": expected id 17, got a string"#),
            (
                #"{"id":null,"ok":false,"error":{"kind":"bad_request","message":"malformed"}}"#, false,
                #"field "id": expected id 17, got null; the error message was "malformed""#
            ),
            (#"{"id":17,"loss":\#(zero)}"#, false, #"response 17: field "ok": missing"#),
            (#"{"id":17,"ok":1,"loss":\#(zero)}"#, false, #"field "ok": expected a Boolean, not an integer"#),
            (#"{"id":17,"ok":true}"#, false, #"field "loss": missing"#),
            (#"{"id":17,"ok":true,"loss":[1]}"#, false, #"field "loss": expected a tensor object, not an array"#),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float8","shape":[],"data":""}}"#, false,
                #"field "loss.dtype": unknown dtype "float8""#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":[-1],"data":""}}"#, false,
                #"field "loss.shape": extent 0 is not a non-negative integer"#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":[2.0],"data":""}}"#, false,
                #"field "loss.shape": extent 0 is not a non-negative integer"#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":4,"data":""}}"#, false,
                #"field "loss.shape": expected an array, not an integer"#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":[4611686018427387904,4],"data":""}}"#, false,
                #"field "loss.shape": shape [4611686018427387904, 4] has more elements than fit"#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":[4],"data":"AAAAAAAAAAAA!AAAAAAAAA=="}}"#,
                false, #"response 17: field "loss.data": invalid base64 at offset 12: '!' is not allowed here"#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":[3],"data":"AAAAAAAAAAA="}}"#, false,
                #"field "loss.data": invalid base64 at offset 0: 12 characters decode to 8 bytes, but 12 are needed"#
            ),
            (
                #"{"id":17,"ok":true,"loss":{"dtype":"float32","shape":[]}}"#, false,
                #"field "loss.data": missing"#
            ),
            (
                #"{"id":17,"ok":true,"loss":\#(zero),"grad_input":\#(pair)}"#, false,
                #"field "grad_input": present, but no gradients were asked for"#
            ),
            (#"{"id":17,"ok":true,"loss":\#(zero),"grad_var":null}"#, false, #"field "grad_var": present, but no"#),
            (#"{"id":17,"ok":true,"loss":\#(zero)}"#, true, #"field "grad_input": missing"#),
            (
                #"{"id":17,"ok":true,"loss":\#(zero),"grad_input":\#(pair),"grad_target":\#(pair)}"#, true,
                #"field "grad_var": missing"#
            ),
            (
                #"{"id":17,"ok":true,"loss":\#(zero),"grad_input":\#(pair),"grad_target":\#(pair),"grad_var":null}"#,
                true, #"field "grad_var": expected a tensor object, not null"#
            ),
            (#"{"id":17,"ok":false}"#, false, #"field "error": missing"#),
            (#"{"id":17,"ok":false,"error":"no"}"#, false, #"field "error": expected an object, not a string"#),
            (#"{"id":17,"ok":false,"error":{"kind":"type"}}"#, false, #"field "error.message": missing"#),
            (
                #"{"id":17,"ok":false,"error":{"kind":"internal","message":"ZeroDivisionError: division by zero"}}"#,
                false,
                #"field "error": the candidate failed internally: "ZeroDivisionError: division by zero""#
            ),
            (
                #"{"id":17,"ok":false,"error":{"kind":"bad_request","message":"field x"}}"#, false,
                #"field "error": the candidate could not read the request: "field x""#
            ),
            (
                #"{"id":17,"ok":false,"error":{"kind":"odd","message":"m"}}"#, false,
                #"field "error.kind": unknown kind "odd"; the candidate's message was "m""#
            ),
        ])
    func badEvalResponse(line: String, grad: Bool, fragment: String) {
        let call = LossCase(
            input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([1, 2])),
            gradOutput: grad ? .scalar(1, dtype: .float32) : nil)
        expectProtocolError(fragment) {
            _ = try ProtocolMessages.decodeEvalResponse(bytes(line), expectedID: 17, call: call, version: 1)
        }
    }

    @Test("grad_var must be null for a scalar var")
    func scalarVarGradient() throws {
        let call = LossCase(
            input: tensor([1, 2]), target: tensor([0, 0]), variance: .scalar(1), gradOutput: .scalar(1, dtype: .float32)
        )
        let prefix = #"{"id":1,"ok":true,"loss":\#(Self.zero),"grad_input":\#(Self.pair),"grad_target":\#(Self.pair)"#
        expectProtocolError(#"field "grad_var": expected null for a scalar var, not an object"#) {
            _ = try ProtocolMessages.decodeEvalResponse(
                bytes(prefix + #","grad_var":\#(Self.pair)}"#), expectedID: 1, call: call, version: 1)
        }
        let outcome = try ProtocolMessages.decodeEvalResponse(
            bytes(prefix + #","grad_var":null}"#), expectedID: 1, call: call, version: 1)
        guard case .success(let result) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(result.gradients?.variance == nil)
        #expect(result.gradients?.input?.shape == [2])
    }

    @Test("Dtypes and shapes are not judged: a well-formed but wrong answer decodes")
    func wrongButWellFormed() throws {
        let call = LossCase(input: tensor([1, 2]), target: tensor([0, 0]), variance: .tensor(tensor([1, 2])))
        let line = #"{"id":3,"ok":true,"loss":{"dtype":"float16","shape":[7,0],"data":""},"note":"extra"}"#
        let outcome = try ProtocolMessages.decodeEvalResponse(bytes(line + "\n"), expectedID: 3, call: call)
        #expect(outcome == .success(LossResult(loss: try .filled(0, dtype: .float16, shape: [7, 0]))))
    }

    // MARK: - Requests, candidate side

    @Test(
        "A malformed request is an error naming the field, with the id when it could be read",
        arguments: [
            (#"{"protocol":1}"#, #"request: field "op": missing"#, nil as Int?),
            (#"{"op":"dance"}"#, #"request: field "op": unknown op "dance""#, nil),
            (#"{"op":"hello"}"#, #"request: field "protocol": missing"#, nil),
            (#"{"op":"eval"}"#, #"request: field "id": missing"#, nil),
            (#"{"op":"eval","id":"5"}"#, #"request: field "id": expected an integer, not a string"#, nil),
            (#"{"op":"eval","id":5}"#, #"request 5: field "input": missing"#, 5),
            (
                #"{"op":"eval","id":5,"input":\#(zero),"target":\#(zero),"var":{"scalar":"1"}}"#,
                #"request 5: field "var.scalar": expected a number, "NaN", "Infinity" or "-Infinity", not "1""#, 5
            ),
            (
                #"{"op":"eval","id":5,"input":\#(zero),"target":\#(zero),"var":{"dtype":"float32"}}"#,
                #"request 5: field "var.shape": missing"#, 5
            ),
            (
                evalPrefix + #""reduction":"mean"}"#,
                #"request 6: field "grad": missing"#, 6
            ),
            (
                evalPrefix + #""reduction":"mean","grad":true}"#,
                #"request 6: field "grad_output": missing"#, 6
            ),
            (
                evalPrefix + #""reduction":"mean","grad":false,"grad_output":\#(zero)}"#,
                #"request 6: field "grad_output": present, but grad is false"#, 6
            ),
            (
                #"{"op":"eval","id":6,"input":\#(zero),"target":\#(zero),"var":\#(zero),"full":0,"#
                    + #""eps":1e-6,"reduction":"mean","grad":false}"#,
                #"request 6: field "full": expected a Boolean"#, 6
            ),
        ])
    func badRequest(line: String, fragment: String, id: Int?) {
        do {
            let request = try ProtocolMessages.decodeRequest(bytes(line))
            Issue.record("decoded \(request)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.id == id)
        }
    }

    @Test("Integer eps and scalar var are accepted as numbers")
    func integerNumbers() throws {
        let line =
            #"{"op":"eval","id":1,"input":\#(Self.zero),"target":\#(Self.zero),"var":{"scalar":2},"full":true,"#
            + #""eps":0,"reduction":"sum","grad":false}"#
        guard case .eval(_, let call) = try ProtocolMessages.decodeRequest(bytes(line)) else {
            Issue.record("not an eval")
            return
        }
        #expect(call.variance == .scalar(2))
        #expect(call.eps == 0)
        #expect(call.full)
    }
}

@Suite("Hostile input never traps")
struct HostileInputTests {
    /// Seeded, so that a trap it finds replays; the decoders must neither trap nor accept or reject everything.
    @Test("Mutated and truncated messages either decode or throw, never trap")
    func mutations() throws {
        var generator = SeededRandomNumberGenerator(seed: 20_261_207)
        let call = MessageTests.answerCalls[1]
        let request = try ProtocolMessages.evalRequest(id: 9, call: call)
        let response = ProtocolMessages.encodeEvalResponse(id: 9, outcome: Reference.evaluate(call))
        let hello = ProtocolMessages.encodeHelloResponse(ReferenceCandidate().info)
        let interesting: [UInt8] = Array(#"{}[]",:\-+.eE0123456789tfnu "#.utf8) + [0x00, 0x80, 0xC3, 0xED, 0xFF]
        var decoded = 0
        var rejected = 0
        for round in 0..<3000 {
            var line = [request, response, hello][round % 3]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
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
                (try? ProtocolMessages.decodeHelloResponse(line)) != nil,
            ]
            decoded += attempts.count { $0 }
            rejected += attempts.count { !$0 }
        }
        // A small mutation (a digit changed) often leaves a valid message, most leave an invalid one.
        #expect(decoded > 0)
        #expect(rejected > decoded)
    }
}
