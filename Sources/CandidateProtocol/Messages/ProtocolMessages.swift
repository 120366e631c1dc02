public import GaussianNLL

/// The messages of the candidate protocol, versions 1 and 2, for both sides.
///
/// Every message is one line of UTF-8 JSON ending in `"\n"`. The suite sends a `hello` that offers both
/// versions, any number of `eval` requests, and a `bye`; the candidate answers each `hello` and `eval` in order,
/// in the version its hello response chose. The encoders return the complete line, newline included; the
/// decoders take a line with or without its newline. Version 2 adds non-finite numbers (as the strings "NaN",
/// "Infinity" and "-Infinity"), `requires_grad` per operand with gradients only for those operands, integer and
/// bool dtypes, the error kind `other`, and the features hvp and jvp: Hessian-vector products and forward-mode
/// derivatives along tangents (CONFORMANCE.md §4).
///
/// Suite side:
///
/// ```swift
/// write(ProtocolMessages.helloRequest)
/// let info = try ProtocolMessages.decodeHelloResponse(readLine())
/// write(try ProtocolMessages.evalRequest(id: 1, call: call, version: info.protocolVersion))
/// let outcome = try ProtocolMessages.decodeEvalResponse(
///     readLine(), expectedID: 1, call: call, version: info.protocolVersion)
/// ```
///
/// Candidate side: ``decodeRequest(_:)``, ``encodeHelloResponse(_:)``, ``encodeEvalResponse(id:outcome:version:)``
/// and ``encodeErrorResponse(id:kind:message:)``, or ``ProtocolServer`` to do it all.
///
/// Decoders ignore members they do not know, so that later versions can add optional fields.
public enum ProtocolMessages {
    /// The protocol versions these messages implement, oldest first: what the suite offers.
    public static let versions = [1, 2]

    /// `{"op":"hello","protocol":1,"protocols":[1,2]}` and a newline: `protocol` is the version every
    /// candidate knows, `protocols` every version the suite offers.
    public static let helloRequest: [UInt8] = Array(#"{"op":"hello","protocol":1,"protocols":[1,2]}"#.utf8) + [0x0A]

    /// `{"op":"bye"}` and a newline.
    public static let byeRequest: [UInt8] = Array(#"{"op":"bye"}"#.utf8) + [0x0A]

    /// A request, as the candidate reads it.
    public enum Request: Sendable, Equatable {
        /// The handshake, with the protocol versions the suite offers (`protocols`, or `[protocol]` when a
        /// suite sends no list).
        case hello(offered: [Int])
        /// One call to evaluate.
        case eval(id: Int, call: LossCase)
        /// The end: the candidate exits.
        case bye
    }
}

// MARK: - Suite side

extension ProtocolMessages {
    /// The line of an `eval` request in a protocol version; `grad` is true exactly when the call has a
    /// `gradOutput`, and version 2 then adds `requires_grad`.
    ///
    /// - Throws: ``ProtocolError`` when the call needs a newer version (``LossCase/protocol2Reason``).
    public static func evalRequest(id: Int, call: LossCase, version: Int = 2) throws(ProtocolError) -> [UInt8] {
        var writer = JSONWriter(capacity: estimatedRequestSize(call))
        try appendEvalRequest(id: id, call: call, version: version, to: &writer)
        return writer.bytes
    }

    static func appendEvalRequest(
        id: Int, call: LossCase, version: Int, to writer: inout JSONWriter
    ) throws(ProtocolError) {
        if version < 2, let reason = call.protocol2Reason {
            throw ProtocolError(
                subject: "request \(id)", field: nil, problem: "protocol \(version) cannot express \(reason)", id: id)
        }
        if let problem = call.higherOrderProblem {
            throw ProtocolError(subject: "request \(id)", field: nil, problem: "cannot be sent: \(problem)", id: id)
        }
        writer.raw(#"{"op":"eval","id":"#)
        writer.write(id)
        writer.raw(#","input":"#)
        writer.write(call.input)
        writer.raw(#","target":"#)
        writer.write(call.target)
        writer.raw(#","var":"#)
        switch call.variance {
        case .tensor(let tensor):
            writer.write(tensor)
        case .scalar(let value):
            writer.raw(#"{"scalar":"#)
            writer.writeNumber(value)
            writer.raw("}")
        }
        writer.raw(call.full ? #","full":true,"eps":"# : #","full":false,"eps":"#)
        writer.writeNumber(call.eps)
        writer.raw(#","reduction":"#)
        writer.write(call.reduction)
        if let gradOutput = call.gradOutput {
            writer.raw(#","grad":true,"grad_output":"#)
            writer.write(gradOutput)
            if version >= 2 {
                let operands = call.gradientOperands
                writer.raw(#","requires_grad":{"input":"#)
                writer.raw(operands.input ? "true" : "false")
                writer.raw(#","target":"#)
                writer.raw(operands.target ? "true" : "false")
                writer.raw(#","var":"#)
                writer.raw(operands.variance ? "true" : "false")
                writer.raw("}")
                if let request = call.higherOrder { appendHigherOrder(request, to: &writer) }
            }
        } else {
            writer.raw(#","grad":false"#)
        }
        writer.raw("}\n")
    }

    /// Appends `"hvp":true` and `"jvp":true` as asked, then `"tangents"` with one tensor per operand that has
    /// one (protocol 2).
    static func appendHigherOrder(_ request: HigherOrderRequest, to writer: inout JSONWriter) {
        if request.hvp { writer.raw(#","hvp":true"#) }
        if request.jvp { writer.raw(#","jvp":true"#) }
        writer.raw(#","tangents":{"#)
        var separator = false
        let tangents: [(key: StaticString, tensor: Tensor?)] = [
            (#""input":"#, request.tangents.input), (#""target":"#, request.tangents.target),
            (#""var":"#, request.tangents.variance),
        ]
        for tangent in tangents {
            guard let tensor = tangent.tensor else { continue }
            if separator { writer.raw(",") }
            writer.raw(tangent.key)
            writer.write(tensor)
            separator = true
        }
        writer.raw("}")
    }

    /// About how many bytes the request for a call takes: enough to write it without regrowing.
    static func estimatedRequestSize(_ call: LossCase) -> Int {
        var bytes = 256 + call.reduction.utf8.count
        let tangents = call.higherOrder?.tangents
        for tensor in [
            call.input, call.target, call.variance.tensor, call.gradOutput, tangents?.input, tangents?.target,
            tangents?.variance,
        ] {
            guard let tensor else { continue }
            bytes +=
                64 + 21 * tensor.shape.rank
                + (Base64.encodedLength(of: tensor.elementCount * tensor.dtype.byteWidth) ?? 0)
        }
        return bytes
    }

    /// Reads a `hello` response.
    ///
    /// `ok` must be true and `protocol` one of the offered ``versions``; `name` and `version` are required
    /// strings. Absent fields take the protocol's defaults: profile torch-2.10, dtypes float32 and float64,
    /// features grad. An unknown profile, dtype or feature, an empty list of dtypes, or an integer or bool dtype
    /// or the feature hvp or jvp under protocol 1, is an error.
    public static func decodeHelloResponse(_ line: some Collection<UInt8>) throws(ProtocolError) -> CandidateInfo {
        let reader = MessageReader(subject: "hello response")
        let object = try reader.object(from: line)
        let ok = try reader.bool(reader.required(object, "ok", path: "ok"), path: "ok")
        guard ok else {
            let message = object["error"]?["message"]?.stringValue ?? "no message"
            throw reader.error(nil, "the candidate refused the handshake: \(quoted(message))")
        }
        let version = try reader.integer(reader.required(object, "protocol", path: "protocol"), path: "protocol")
        guard versions.contains(version) else {
            throw reader.error(
                "protocol",
                "the candidate speaks protocol \(version); the suite offered "
                    + versions.map(String.init).joined(separator: " and "))
        }
        let name = try reader.string(reader.required(object, "name", path: "name"), path: "name")
        let candidateVersion = try reader.string(reader.required(object, "version", path: "version"), path: "version")
        var info = CandidateInfo(name: name, version: candidateVersion, protocolVersion: version)
        if let value = object["profile"] {
            let text = try reader.string(value, path: "profile")
            guard let profile = Profile(rawValue: text) else {
                throw reader.error("profile", "unknown profile \(quoted(text))")
            }
            info.profile = profile
        }
        if let value = object["dtypes"] {
            info.dtypes = try names(value, path: "dtypes", kind: "dtype", reader: reader)
            guard !info.dtypes.isEmpty else {
                throw reader.error("dtypes", "is empty: a candidate must evaluate at least one dtype")
            }
            if version < 2, let position = info.dtypes.firstIndex(where: { !$0.isFloatingPoint }) {
                throw reader.error(
                    "dtypes[\(position)]", "\(info.dtypes[position]) needs protocol 2, but the candidate chose 1")
            }
        }
        if let value = object["features"] {
            info.features = try names(value, path: "features", kind: "feature", reader: reader)
            if version < 2, let position = info.features.firstIndex(where: { !$0.isInProtocol1 }) {
                throw reader.error(
                    "features[\(position)]",
                    "\(info.features[position].rawValue) needs protocol 2, but the candidate chose 1")
            }
        }
        return info
    }

    private static func names<Name: RawRepresentable<String>>(
        _ value: JSONValue, path: String, kind: String, reader: MessageReader
    ) throws(ProtocolError) -> [Name] {
        guard let elements = value.arrayValue else {
            throw reader.error(path, "expected an array of strings, not \(value.kindDescription)")
        }
        var names: [Name] = []
        for (position, element) in elements.enumerated() {
            let text = try reader.string(element, path: "\(path)[\(position)]")
            guard let name = Name(rawValue: text) else {
                throw reader.error("\(path)[\(position)]", "unknown \(kind) \(quoted(text))")
            }
            names.append(name)
        }
        return names
    }

    /// Reads the response to an `eval` request and checks that it is well formed.
    ///
    /// The id must be `expectedID`. A success has a well-formed `loss` tensor and, in version 2, a gradient
    /// tensor exactly for each operand that requires grad (``LossCase/gradientOperands``; null reads as
    /// absent); in version 1, exactly when the call asked for gradients, `grad_input` and `grad_target` tensors
    /// and a `grad_var` that is a tensor for a tensor var and null for a scalar var. In version 2, a call with a
    /// ``HigherOrderRequest`` also gets `hvp_input`, `hvp_target` and `hvp_var` exactly for the operands that
    /// require grad when it asks for hvp, and `jvp` exactly when it asks for jvp; a call without one gets none of
    /// them. A rejection has one of the candidate's kinds (PyTorch's six, `other`, `unsupported`) and a message;
    /// its exception type is not on the wire and decodes as "". Values, dtypes and shapes are not compared with
    /// what the call should give: that is the judge's work.
    public static func decodeEvalResponse(
        _ line: some Collection<UInt8>, expectedID: Int, call: LossCase, version: Int = 2
    ) throws(ProtocolError) -> LossOutcome {
        var reader = MessageReader(subject: "response \(expectedID)")
        let object = try reader.object(from: line)
        let idValue = try reader.required(object, "id", path: "id")
        guard idValue.integerValue == expectedID else {
            var problem =
                "expected id \(expectedID), got \(idValue.integerValue.map(String.init) ?? idValue.kindDescription)"
            if let message = object["error"]?["message"]?.stringValue {
                problem += "; the error message was \(quoted(message))"
            }
            throw reader.error("id", problem)
        }
        reader.id = expectedID
        let ok = try reader.bool(reader.required(object, "ok", path: "ok"), path: "ok")
        if !ok { return .rejection(try rejection(in: object, reader: reader)) }

        let loss = try reader.tensor(reader.required(object, "loss", path: "loss"), path: "loss")
        if version >= 2 {
            func gradient(_ key: String, of operand: Operand) throws(ProtocolError) -> Tensor? {
                let value = object[key]
                if let reason = call.whyNoGradient(of: operand) {
                    if let value, !value.isNull { throw reader.error(key, "present, but \(reason)") }
                    return nil
                }
                guard let value, !value.isNull else { throw reader.error(key, "missing") }
                return try reader.tensor(value, path: key)
            }
            let input = try gradient("grad_input", of: .input)
            let target = try gradient("grad_target", of: .target)
            let variance = try gradient("grad_var", of: .variance)
            var result = LossResult(loss: loss)
            try decodeHigherOrder(object, call: call, reader: reader, into: &result)
            guard call.wantsGradients else { return .success(result) }
            result.gradients = Gradients(input: input, target: target, variance: variance)
            return .success(result)
        }
        guard call.wantsGradients else {
            for key in ["grad_input", "grad_target", "grad_var"] where object[key] != nil {
                throw reader.error(key, "present, but no gradients were asked for")
            }
            return .success(LossResult(loss: loss))
        }
        let input = try reader.tensor(reader.required(object, "grad_input", path: "grad_input"), path: "grad_input")
        let target = try reader.tensor(
            reader.required(object, "grad_target", path: "grad_target"), path: "grad_target")
        let varianceValue = try reader.required(object, "grad_var", path: "grad_var")
        let variance: Tensor?
        if call.variance.tensor == nil {
            guard varianceValue.isNull else {
                throw reader.error("grad_var", "expected null for a scalar var, not \(varianceValue.kindDescription)")
            }
            variance = nil
        } else {
            variance = try reader.tensor(varianceValue, path: "grad_var")
        }
        return .success(LossResult(loss: loss, gradients: Gradients(input: input, target: target, variance: variance)))
    }

    /// Reads the protocol 2 outputs of a higher-order request: `hvp_input`, `hvp_target` and `hvp_var` exactly for
    /// the operands that require grad when hvp was asked for, and `jvp` exactly when jvp was (null reads as
    /// absent). Without a request, any of them is an error.
    private static func decodeHigherOrder(
        _ object: JSONValue, call: LossCase, reader: MessageReader, into result: inout LossResult
    ) throws(ProtocolError) {
        let request = call.higherOrder
        func output(_ key: String, absentBecause reason: String?) throws(ProtocolError) -> Tensor? {
            let value = object[key]
            if let reason {
                if let value, !value.isNull { throw reader.error(key, "present, but \(reason)") }
                return nil
            }
            guard let value, !value.isNull else { throw reader.error(key, "missing") }
            return try reader.tensor(value, path: key)
        }
        func hvp(_ key: String, of operand: Operand) throws(ProtocolError) -> Tensor? {
            try output(
                key, absentBecause: request?.hvp == true ? call.whyNoGradient(of: operand) : "no hvp was asked for")
        }
        let input = try hvp("hvp_input", of: .input)
        let target = try hvp("hvp_target", of: .target)
        let variance = try hvp("hvp_var", of: .variance)
        let jvp = try output("jvp", absentBecause: request?.jvp == true ? nil : "no jvp was asked for")
        if request?.hvp == true { result.hvp = OperandTensors(input: input, target: target, variance: variance) }
        result.jvp = jvp
    }

    private static func rejection(in object: JSONValue, reader: MessageReader) throws(ProtocolError) -> Rejection {
        let error = try reader.required(object, "error", path: "error")
        guard case .object = error else {
            throw reader.error("error", "expected an object, not \(error.kindDescription)")
        }
        let message = try reader.string(reader.required(error, "message", path: "error.message"), path: "error.message")
        let kindName = try reader.string(reader.required(error, "kind", path: "error.kind"), path: "error.kind")
        switch kindName {
        case "bad_request":
            throw reader.error("error", "the candidate could not read the request: \(quoted(message))")
        case "internal":
            throw reader.error("error", "the candidate failed internally: \(quoted(message))")
        default:
            break
        }
        guard let kind = RejectionKind(rawValue: kindName) else {
            throw reader.error(
                "error.kind", "unknown kind \(quoted(kindName)); the candidate's message was \(quoted(message))")
        }
        return Rejection(kind: kind, exceptionType: "", message: message)
    }
}

// MARK: - Candidate side

extension ProtocolMessages {
    /// Reads a request line, as a candidate does.
    ///
    /// An `eval` request needs every field: `id`, `input`, `target`, `var` (a tensor or `{"scalar": x}`),
    /// `full`, `eps`, `reduction` and `grad`, and `grad_output` exactly when `grad` is true. Protocol 2's
    /// `requires_grad`, and `hvp`, `jvp` and `tangents` (a tangent exactly for each operand that requires grad,
    /// with its shape and dtype; only with `grad` true), are read when present.
    ///
    /// - Throws: ``ProtocolError``; its ``ProtocolError/id`` is set when the id could be read.
    public static func decodeRequest(_ line: some Collection<UInt8>) throws(ProtocolError) -> Request {
        var reader = MessageReader(subject: "request")
        let object = try reader.object(from: line)
        let op = try reader.string(reader.required(object, "op", path: "op"), path: "op")
        switch op {
        case "hello":
            let base = try reader.integer(reader.required(object, "protocol", path: "protocol"), path: "protocol")
            guard let list = object["protocols"] else { return .hello(offered: [base]) }
            guard let elements = list.arrayValue else {
                throw reader.error("protocols", "expected an array of integers, not \(list.kindDescription)")
            }
            var offered: [Int] = []
            for (position, element) in elements.enumerated() {
                offered.append(try reader.integer(element, path: "protocols[\(position)]"))
            }
            return .hello(offered: offered)
        case "bye":
            return .bye
        case "eval":
            let id = try reader.integer(reader.required(object, "id", path: "id"), path: "id")
            reader.subject = "request \(id)"
            reader.id = id
            let input = try reader.tensor(reader.required(object, "input", path: "input"), path: "input")
            let target = try reader.tensor(reader.required(object, "target", path: "target"), path: "target")
            let varianceValue = try reader.required(object, "var", path: "var")
            let variance: Variance
            if let scalar = varianceValue["scalar"] {
                variance = .scalar(try reader.extendedNumber(scalar, path: "var.scalar"))
            } else {
                variance = .tensor(try reader.tensor(varianceValue, path: "var"))
            }
            let full = try reader.bool(reader.required(object, "full", path: "full"), path: "full")
            let eps = try reader.extendedNumber(reader.required(object, "eps", path: "eps"), path: "eps")
            let reduction = try reader.string(
                reader.required(object, "reduction", path: "reduction"), path: "reduction")
            let grad = try reader.bool(reader.required(object, "grad", path: "grad"), path: "grad")
            var gradOutput: Tensor?
            if grad {
                gradOutput = try reader.tensor(
                    reader.required(object, "grad_output", path: "grad_output"), path: "grad_output")
            } else if object["grad_output"] != nil {
                throw reader.error("grad_output", "present, but grad is false")
            }
            var requiresGrad = RequiresGrad(input: true, target: true, variance: variance.tensor != nil)
            if let flags = object["requires_grad"] {
                guard grad else { throw reader.error("requires_grad", "present, but grad is false") }
                guard case .object = flags else {
                    throw reader.error("requires_grad", "expected an object, not \(flags.kindDescription)")
                }
                func flag(_ key: String) throws(ProtocolError) -> Bool {
                    try reader.bool(
                        reader.required(flags, key, path: "requires_grad.\(key)"), path: "requires_grad.\(key)")
                }
                requiresGrad = RequiresGrad(
                    input: try flag("input"), target: try flag("target"), variance: try flag("var"))
                for (name, wanted, tensor) in [
                    ("input", requiresGrad.input, input), ("target", requiresGrad.target, target),
                    ("var", requiresGrad.variance, variance.tensor),
                ] where wanted {
                    guard let tensor else {
                        throw reader.error("requires_grad.var", "true, but var is a scalar, which has no gradient")
                    }
                    guard tensor.dtype.isFloatingPoint else {
                        throw reader.error("requires_grad.\(name)", "true, but \(name) is \(tensor.dtype)")
                    }
                }
                guard requiresGrad.any else {
                    throw reader.error("requires_grad", "no operand requires grad, but grad is true")
                }
            }
            var call = LossCase(
                input: input, target: target, variance: variance, full: full, eps: eps, reduction: reduction,
                gradOutput: gradOutput, requiresGrad: requiresGrad)
            call.higherOrder = try higherOrderRequest(in: object, call: call, reader: reader)
            return .eval(id: id, call: call)
        default:
            throw reader.error("op", "unknown op \(quoted(op))")
        }
    }

    /// Reads `hvp`, `jvp` and `tangents` (protocol 2): absent (or false) for none; otherwise grad must be true,
    /// and `tangents` must hold a tensor exactly for each operand that requires grad, with its shape and dtype.
    private static func higherOrderRequest(
        in object: JSONValue, call: LossCase, reader: MessageReader
    ) throws(ProtocolError) -> HigherOrderRequest? {
        func flag(_ key: String) throws(ProtocolError) -> Bool {
            guard let value = object[key] else { return false }
            return try reader.bool(value, path: key)
        }
        let hvp = try flag("hvp")
        let jvp = try flag("jvp")
        guard hvp || jvp else {
            if object["tangents"] != nil { throw reader.error("tangents", "present, but neither hvp nor jvp is true") }
            return nil
        }
        guard call.wantsGradients else { throw reader.error(hvp ? "hvp" : "jvp", "true, but grad is false") }
        let tangentsValue = try reader.required(object, "tangents", path: "tangents")
        guard case .object = tangentsValue else {
            throw reader.error("tangents", "expected an object, not \(tangentsValue.kindDescription)")
        }
        func tangent(_ key: String, of operand: Operand, like tensor: Tensor?) throws(ProtocolError) -> Tensor? {
            let path = "tangents.\(key)"
            let value = tangentsValue[key]
            if let reason = call.whyNoGradient(of: operand) {
                if value != nil { throw reader.error(path, "present, but \(reason)") }
                return nil
            }
            guard let value else { throw reader.error(path, "missing, but \(key) requires grad") }
            let tangent = try reader.tensor(value, path: path)
            if let tensor, tangent.dtype != tensor.dtype {
                throw reader.error(path, "has dtype \(tangent.dtype), but \(key) is \(tensor.dtype)")
            }
            if let tensor, tangent.shape != tensor.shape {
                throw reader.error(path, "has shape \(tangent.shape), but \(key) has shape \(tensor.shape)")
            }
            return tangent
        }
        let tangents = OperandTensors(
            input: try tangent("input", of: .input, like: call.input),
            target: try tangent("target", of: .target, like: call.target),
            variance: try tangent("var", of: .variance, like: call.variance.tensor))
        return HigherOrderRequest(tangents: tangents, hvp: hvp, jvp: jvp)
    }

    /// The line of a successful `hello` response, with every field written out; `protocol` is the info's
    /// ``CandidateInfo/protocolVersion``.
    public static func encodeHelloResponse(_ info: CandidateInfo) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw(#"{"ok":true,"protocol":"#)
        writer.write(info.protocolVersion)
        writer.raw(#","name":"#)
        writer.write(info.name)
        writer.raw(#","version":"#)
        writer.write(info.version)
        writer.raw(#","profile":"#)
        writer.write(info.profile.rawValue)
        writer.raw(#","dtypes":["#)
        for (position, dtype) in info.dtypes.enumerated() {
            if position > 0 { writer.raw(",") }
            writer.write(dtype.rawValue)
        }
        writer.raw(#"],"features":["#)
        for (position, feature) in info.features.enumerated() {
            if position > 0 { writer.raw(",") }
            writer.write(feature.rawValue)
        }
        writer.raw("]}\n")
        return writer.bytes
    }

    /// The line of the response to an `eval` request in a protocol version: the result, or the rejection.
    ///
    /// Version 2 writes the gradients the result has, then its `hvp_input`, `hvp_target`, `hvp_var` and `jvp`
    /// (those it has); version 1 writes the gradients all when the result has any, `grad_var` as null when it has
    /// none, and never the higher-order outputs, which it cannot carry.
    public static func encodeEvalResponse(id: Int, outcome: LossOutcome, version: Int = 2) -> [UInt8] {
        var writer = JSONWriter()
        appendEvalResponse(id: id, outcome: outcome, version: version, to: &writer)
        return writer.bytes
    }

    /// Appends the line of an `eval` response; see ``encodeEvalResponse(id:outcome:version:)``.
    package static func appendEvalResponse(
        id: Int, outcome: LossOutcome, version: Int, to writer: inout JSONWriter
    ) {
        switch outcome {
        case .rejection(let rejection):
            appendErrorResponse(id: id, kind: rejection.kind.rawValue, message: rejection.message, to: &writer)
        case .success(let result):
            writer.raw(#"{"id":"#)
            writer.write(id)
            writer.raw(#","ok":true,"loss":"#)
            writer.write(result.loss)
            if let gradients = result.gradients {
                let outputs: [(key: StaticString, tensor: Tensor?)] = [
                    (#","grad_input":"#, gradients.input), (#","grad_target":"#, gradients.target),
                    (#","grad_var":"#, gradients.variance),
                ]
                for output in outputs {
                    if let tensor = output.tensor {
                        writer.raw(output.key)
                        writer.write(tensor)
                    } else if version < 2 {
                        writer.raw(output.key)
                        writer.raw("null")
                    }
                }
            }
            if version >= 2 {
                let outputs: [(key: StaticString, tensor: Tensor?)] = [
                    (#","hvp_input":"#, result.hvp?.input), (#","hvp_target":"#, result.hvp?.target),
                    (#","hvp_var":"#, result.hvp?.variance), (#","jvp":"#, result.jvp),
                ]
                for output in outputs {
                    guard let tensor = output.tensor else { continue }
                    writer.raw(output.key)
                    writer.write(tensor)
                }
            }
            writer.raw("}\n")
        }
    }

    /// The line of an error response: `{"id":N,"ok":false,"error":{"kind":K,"message":S}}`.
    ///
    /// - Parameter id: the request's id, or `nil` (written as null) when it is not known.
    public static func encodeErrorResponse(id: Int?, kind: RejectionKind, message: String) -> [UInt8] {
        var writer = JSONWriter()
        appendErrorResponse(id: id, kind: kind.rawValue, message: message, to: &writer)
        return writer.bytes
    }

    /// An error response with any kind, including the non-standard `bad_request` and `internal` that a
    /// server uses for a malformed request and a candidate fault (the suite reports those as protocol
    /// violations, with the message).
    package static func appendErrorResponse(id: Int?, kind: String, message: String, to writer: inout JSONWriter) {
        writer.raw(#"{"id":"#)
        if let id { writer.write(id) } else { writer.raw("null") }
        writer.raw(#","ok":false,"error":{"kind":"#)
        writer.write(kind)
        writer.raw(#","message":"#)
        writer.write(message)
        writer.raw("}}\n")
    }
}

extension CandidateFeature {
    /// Whether protocol 1 carries the feature: hvp and jvp are protocol 2 only.
    var isInProtocol1: Bool { self != .hvp && self != .jvp }
}
