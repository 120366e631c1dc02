import CandidateProtocol
import GaussianNLL

/// The candidate protocol's decoders on arbitrary lines. The first byte picks the call the line answers
/// (with or without gradients, tensor or scalar var), the second the id the suite expects; the rest is
/// the line. `decodeEvalResponse`, `decodeHelloResponse`, `decodeRequest`, `JSONValue.parse` and
/// `Base64.decode` must never trap, and whatever decodes must survive re-encoding: encode, decode again,
/// and get the same message back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = FuzzBytes(data, size)
    let call = answeredCalls[bytes.index(answeredCalls.count)]
    let id = bytes.index(4)
    let line = Array(bytes.rest())

    if let outcome = try? ProtocolMessages.decodeEvalResponse(line, expectedID: id, call: call) {
        let encoded = ProtocolMessages.encodeEvalResponse(id: id, outcome: outcome)
        do {
            let again = try ProtocolMessages.decodeEvalResponse(encoded, expectedID: id, call: call)
            require(sameOutcome(outcome, again), "an eval response changes when re-encoded")
        } catch {
            fatalError("a re-encoded eval response does not decode: \(error)")
        }
    }
    if let info = try? ProtocolMessages.decodeHelloResponse(line) {
        do {
            let again = try ProtocolMessages.decodeHelloResponse(ProtocolMessages.encodeHelloResponse(info))
            require(again == info, "a hello response changes when re-encoded: \(info) became \(again)")
        } catch {
            fatalError("a re-encoded hello response does not decode: \(error)")
        }
    }
    if let request = try? ProtocolMessages.decodeRequest(line) {
        checkRequestRoundTrip(request)
    }
    _ = try? JSONValue.parse(line, byteLimit: 1 << 20)
    _ = try? Base64.decode(line)
    _ = try? Base64.decode(line, expectedByteCount: line.count / 4 * 3)
    return 0
}

/// A request that decodes encodes to a line that decodes to the same request.
func checkRequestRoundTrip(_ request: ProtocolMessages.Request) {
    let encoded: [UInt8]
    switch request {
    case .hello, .bye:
        return
    case .eval(let id, let call):
        // eps and a scalar var that are not finite cannot be written: the encoder must say so, not trap.
        guard let line = try? ProtocolMessages.evalRequest(id: id, call: call) else { return }
        encoded = line
    }
    do {
        let again = try ProtocolMessages.decodeRequest(encoded)
        guard case .eval(let id, let call) = request, case .eval(let otherID, let other) = again else {
            fatalError("a re-encoded eval request decodes as \(again)")
        }
        require(id == otherID && sameCall(call, other), "an eval request changes when re-encoded")
    } catch {
        fatalError("a re-encoded eval request does not decode: \(error)")
    }
}

/// The calls a response can answer: what the decoder needs to know is whether gradients were asked for
/// and whether var is a tensor.
let answeredCalls: [LossCase] = {
    let one = Tensor.scalar(1, dtype: .float32)
    let vector = try! Tensor(dtype: .float32, shape: [2], values: [1, 2])
    return [
        LossCase(input: vector, target: vector, variance: .tensor(vector)),
        LossCase(input: vector, target: vector, variance: .tensor(vector), gradOutput: one),
        LossCase(input: vector, target: vector, variance: .scalar(0.5), gradOutput: one),
        LossCase(input: vector, target: vector, variance: .scalar(0.5)),
    ]
}()

func sameTensor(_ a: Tensor?, _ b: Tensor?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): a.isBitwiseIdentical(to: b)
    default: false
    }
}

func sameOutcome(_ a: LossOutcome, _ b: LossOutcome) -> Bool {
    switch (a, b) {
    case (.rejection(let x), .rejection(let y)):
        return x == y
    case (.success(let x), .success(let y)):
        guard sameTensor(x.loss, y.loss), (x.gradients == nil) == (y.gradients == nil) else { return false }
        guard let gx = x.gradients, let gy = y.gradients else { return true }
        return sameTensor(gx.input, gy.input) && sameTensor(gx.target, gy.target)
            && sameTensor(gx.variance, gy.variance)
    default:
        return false
    }
}

func sameCall(_ a: LossCase, _ b: LossCase) -> Bool {
    let variance: Bool
    switch (a.variance, b.variance) {
    case (.tensor(let x), .tensor(let y)): variance = x.isBitwiseIdentical(to: y)
    case (.scalar(let x), .scalar(let y)): variance = x == y
    default: variance = false
    }
    return variance && sameTensor(a.input, b.input) && sameTensor(a.target, b.target)
        && sameTensor(a.gradOutput, b.gradOutput) && a.full == b.full && a.eps == b.eps
        && a.reduction == b.reduction
}
