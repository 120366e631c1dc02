import CandidateProtocol
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing

/// A pipe's two ends.
private func makePipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    precondition(pipe(&fds) == 0, "pipe failed")
    return (fds[0], fds[1])
}

/// Writes every byte to a blocking descriptor.
private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    var written = 0
    while written < bytes.count {
        let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
        if count < 0 && errno == EINTR { continue }
        precondition(count > 0, "write failed: \(errno)")
        written += count
    }
}

/// Reads a blocking descriptor to its end, split into lines.
private func readLines(_ descriptor: Int32) -> [[UInt8]] {
    var buffer = LineBuffer()
    var lines: [[UInt8]] = []
    reading: while true {
        switch buffer.read(from: descriptor) {
        case .bytes:
            while let line = buffer.nextLine() { lines.append(Array(line)) }
        case .wouldBlock:
            continue
        case .endOfFile, .failed:
            break reading
        }
    }
    if !buffer.isEmpty { lines.append(Array(buffer.takeRest())) }
    return lines
}

/// What the server thread hands back.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<ProtocolServer.Statistics, ProtocolServer.IOError>?

    func set(_ newValue: Result<ProtocolServer.Statistics, ProtocolServer.IOError>) {
        lock.withLock { value = newValue }
    }

    var result: Result<ProtocolServer.Statistics, ProtocolServer.IOError>? { lock.withLock { value } }
}

/// Serves the reference on pipes in a thread, feeds it `requests` from another thread, and returns the
/// response lines, what the server wrote to its diagnostics, and its statistics; `candidate` makes another
/// candidate to serve instead.
private func serve(
    _ requests: [[UInt8]], profile: Profile = .current, maximumRequestLength: Int = 256 << 20,
    candidate: (@Sendable () -> any Candidate)? = nil
) -> (responses: [[UInt8]], diagnostics: String, statistics: ProtocolServer.Statistics?) {
    let input = makePipe()
    let output = makePipe()
    let diagnostics = makePipe()
    let outcome = Outcome()
    let finished = DispatchSemaphore(value: 0)
    Thread {
        let server = ProtocolServer(
            candidate: candidate?() ?? ReferenceCandidate(profile: profile), input: input.read, output: output.write,
            diagnostics: diagnostics.write, maximumRequestLength: maximumRequestLength)
        do throws(ProtocolServer.IOError) {
            outcome.set(.success(try server.run()))
        } catch {
            outcome.set(.failure(error))
        }
        close(output.write)
        close(diagnostics.write)
        finished.signal()
    }.start()
    Thread {
        // Written in uneven pieces, so that lines arrive split across reads.
        let stream = requests.flatMap { $0 }
        var offset = 0
        var piece = 1
        while offset < stream.count {
            let end = min(stream.count, offset + piece)
            writeAll(input.write, Array(stream[offset..<end]))
            offset = end
            piece = piece * 3 % 7919 + 1
        }
        close(input.write)
    }.start()
    let responses = readLines(output.read)
    finished.wait()
    let notes = readLines(diagnostics.read).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    close(output.read)
    close(diagnostics.read)
    close(input.read)
    let statistics = try? outcome.result?.get()
    return (responses, notes, statistics)
}

@Suite("ProtocolServer: the reference served over pipes, spoken to with the suite's codec")
struct ProtocolServerTests {
    @Test("A pipelined session: hello, many evals, bad lines in between, bye")
    func session() throws {
        var calls: [LossCase] = []
        for round in 0..<60 {
            for call in MessageTests.answerCalls {
                var call = call
                call.full = round % 2 == 0
                calls.append(call)
            }
        }
        var requests: [[UInt8]] = [ProtocolMessages.helloRequest]
        for (index, call) in calls.enumerated() {
            requests.append(try ProtocolMessages.evalRequest(id: index, call: call))
        }
        requests.append(Array("\n   \n".utf8))
        requests.append(Array("garbage\n".utf8))
        requests.append(Array(#"{"op":"eval","id":99999,"input":7}"#.utf8) + [0x0A])
        requests.append([UInt8](repeating: UInt8(ascii: "x"), count: 9000) + [0x0A])
        requests.append(try ProtocolMessages.evalRequest(id: 100_000, call: calls[1]))
        requests.append(Array(#"{"op":"hello","protocol":3}"#.utf8) + [0x0A])
        requests.append(ProtocolMessages.byeRequest)
        requests.append(try ProtocolMessages.evalRequest(id: 100_001, call: calls[1]))

        let (responses, diagnostics, statistics) = serve(requests, maximumRequestLength: 8192)
        try #require(responses.count == 1 + calls.count + 5)

        #expect(try ProtocolMessages.decodeHelloResponse(responses[0]) == ReferenceCandidate().info)
        for (index, call) in calls.enumerated() {
            let outcome = try ProtocolMessages.decodeEvalResponse(responses[1 + index], expectedID: index, call: call)
            #expect(sameBits(outcome, Reference.evaluate(call)), "call \(index)")
        }
        var next = 1 + calls.count
        let garbage = try JSONValue.parse(responses[next], byteLimit: 1 << 20)
        #expect(garbage["id"] == .null)
        #expect(garbage["ok"] == false)
        #expect(garbage["error"]?["kind"] == "bad_request")
        #expect(garbage["error"]?["message"]?.stringValue?.contains("invalid JSON at byte 0") == true)
        next += 1
        let badTensor = try JSONValue.parse(responses[next], byteLimit: 1 << 20)
        #expect(badTensor["id"] == 99999)
        #expect(badTensor["error"]?["message"]?.stringValue?.contains(#"field "input""#) == true)
        next += 1
        let tooLong = try JSONValue.parse(responses[next], byteLimit: 1 << 20)
        #expect(tooLong["error"]?["message"] == "request: the line is longer than 8192 bytes")
        next += 1
        #expect(
            sameBits(
                try ProtocolMessages.decodeEvalResponse(responses[next], expectedID: 100_000, call: calls[1]),
                Reference.evaluate(calls[1])))
        next += 1
        let wrongVersion = try JSONValue.parse(responses[next], byteLimit: 1 << 20)
        #expect(wrongVersion["ok"] == false)
        #expect(wrongVersion["error"]?["kind"] == "unsupported")

        #expect(diagnostics.contains("bad request: request: invalid JSON at byte 0"))
        #expect(diagnostics.components(separatedBy: "bad request").count == 4)
        #expect(statistics?.evaluations == calls.count + 1)
        #expect(statistics?.malformedRequests == 3)
        #expect(statistics?.requests == 1 + calls.count + 6)
        #expect(statistics?.endedWithBye == true)
    }

    @Test("The end of input ends the run; a last line without a newline is still answered")
    func endOfInput() throws {
        let call = MessageTests.answerCalls[0]
        var request = try ProtocolMessages.evalRequest(id: 3, call: call)
        request.removeLast()
        let (responses, _, statistics) = serve([ProtocolMessages.helloRequest, request], profile: .torch1_9)
        try #require(responses.count == 2)
        #expect(try ProtocolMessages.decodeHelloResponse(responses[0]).profile == .torch1_9)
        let outcome = try ProtocolMessages.decodeEvalResponse(responses[1], expectedID: 3, call: call)
        #expect(sameBits(outcome, Reference.evaluate(call, profile: .torch1_9)))
        #expect(statistics?.endedWithBye == false)
    }

    @Test("An over-long line split across many reads is dropped without being kept, then serving goes on")
    func longLineAcrossReads() throws {
        let call = MessageTests.answerCalls[0]
        let long = [UInt8](repeating: UInt8(ascii: " "), count: 300_000) + Array("[1]\n".utf8)
        let (responses, _, statistics) = serve(
            [long, try ProtocolMessages.evalRequest(id: 1, call: call)], maximumRequestLength: 1000)
        try #require(responses.count == 2)
        #expect(try JSONValue.parse(responses[0], byteLimit: 1 << 20)["error"]?["kind"] == "bad_request")
        #expect(
            sameBits(
                try ProtocolMessages.decodeEvalResponse(responses[1], expectedID: 1, call: call),
                Reference.evaluate(call)))
        #expect(statistics?.malformedRequests == 1)
    }

    @Test("hvp and jvp: served in protocol 2 as the candidate answers; refused in a protocol 1 session")
    func higherOrder() throws {
        let call = HigherOrderCalls.inputAndVar()
        let answer = HigherOrderCalls.answer()
        let (responses, _, statistics) = serve(
            [ProtocolMessages.helloRequest, try ProtocolMessages.evalRequest(id: 1, call: call)],
            candidate: { FixedAnswer(answer: answer) })
        try #require(responses.count == 2)
        let info = try ProtocolMessages.decodeHelloResponse(responses[0])
        #expect(info.protocolVersion == 2 && info.features.contains(.hvp) && info.features.contains(.jvp))
        let outcome = try ProtocolMessages.decodeEvalResponse(responses[1], expectedID: 1, call: call)
        guard case .success(let result) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(sameHigherOrder(result, answer))
        #expect(statistics?.evaluations == 1)

        // The reference declares both; under protocol 1 its hello leaves them out and an hvp request is refused.
        #expect(ReferenceCandidate().info.features.contains(.hvp) && ReferenceCandidate().info.features.contains(.jvp))
        let version1Hello = Array(#"{"op":"hello","protocol":1,"protocols":[1]}"#.utf8) + [0x0A]
        let (old, _, oldStatistics) = serve([version1Hello, try ProtocolMessages.evalRequest(id: 5, call: call)])
        try #require(old.count == 2)
        let oldInfo = try ProtocolMessages.decodeHelloResponse(old[0])
        #expect(oldInfo.protocolVersion == 1)
        #expect(oldInfo.features == [.grad, .scalarVar, .mixedDtype])
        let refusal = try JSONValue.parse(old[1], byteLimit: 1 << 20)
        #expect(refusal["id"] == 5)
        #expect(refusal["error"]?["kind"] == "bad_request")
        #expect(
            refusal["error"]?["message"]
                == #"request 5: field "hvp": needs protocol 2, but protocol 1 was negotiated"#)
        #expect(oldStatistics?.evaluations == 0 && oldStatistics?.malformedRequests == 1)
    }
}

/// A candidate that answers every call with one hand-made result.
private struct FixedAnswer: Candidate, Sendable {
    let answer: LossResult
    let info = CandidateInfo(
        name: "fixed", version: "1", dtypes: DType.allCases, features: CandidateFeature.allCases)

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        calls.map { _ in .outcome(.success(answer)) }
    }
}
