import CandidateProcess
import CandidateProtocol
import Foundation
import GaussianNLL
import Testing

@Suite("ProcessCandidate: a well-behaved candidate", .enabled(if: Fixture.available))
struct WellBehavedTests {
    @Test("Handshake, structurally valid answers for every kind of call, a clean close")
    func session() throws {
        let candidate = try Fixture.start("ok")
        #expect(candidate.info.name == "fixture")
        #expect(candidate.info.profile == .torch2_10)
        #expect(candidate.info.dtypes == DType.floatingCases)
        #expect(candidate.info.features == [.grad, .scalarVar, .mixedDtype])
        let pid = try #require(candidate.processID)

        let calls = [
            call(), call(shape: [], dtype: .float64), call(shape: [2, 0, 3]), call(shape: [4], dtype: .float16),
            call(shape: [2, 2], dtype: .bfloat16), call(shape: [5], dtype: .float64, grad: true),
        ]
        expectAnswers(candidate.evaluate(calls), for: calls, faults: [:])
        #expect(candidate.evaluate([]).isEmpty)

        let gradients = candidate.evaluate([
            call(shape: [2], grad: true), call(shape: [2], reduction: "mean", grad: true, scalarVariance: true),
        ])
        let tensorVar = try #require(gradients[0].result)
        #expect(tensorVar.gradients?.variance?.shape == [2])
        let scalarVar = try #require(gradients[1].result)
        #expect(scalarVar.loss.shape == [])
        #expect(scalarVar.gradients?.input?.shape == [2])
        #expect(scalarVar.gradients?.variance == nil)

        #expect(candidate.statistics.requests == 8)
        #expect(candidate.statistics.responses == 8)
        #expect(candidate.statistics.faults == 0)
        #expect(candidate.statistics.starts == 1)

        let clock = ContinuousClock()
        let closing = clock.measure { candidate.close() }
        #expect(closing < .seconds(1))
        #expect(!candidate.isRunning)
        #expect(isReaped(pid))
        let late = candidate.evaluate([call()])
        #expect(late[0].fault?.message.contains("closed") == true)
    }

    @Test("The profile override replaces the declared profile; the handshake keeps it")
    func profileOverride() throws {
        var options = Fixture.options
        options.profile = .torch1_8
        let candidate = try Fixture.start("ok", options: options)
        defer { candidate.close() }
        #expect(candidate.info.profile == .torch1_8)
        #expect(candidate.handshake.profile == .torch2_10)
    }

    @Test("A case JSON cannot carry is answered 'unsupported' without being sent")
    func unsendable() throws {
        let candidate = try Fixture.start("ok")
        defer { candidate.close() }
        var bad = call()
        bad.eps = .nan
        let answers = candidate.evaluate([call(), bad, call()])
        expectAnswers([answers[0], answers[2]], for: [call(), call()], faults: [:])
        guard case .outcome(.rejection(let rejection)) = answers[1] else {
            Issue.record("\(answers[1])")
            return
        }
        #expect(rejection.kind == .unsupported)
        #expect(rejection.message.contains("not sent") && rejection.message.contains("eps"))
        #expect(candidate.statistics.unsendableCases == 1)
        #expect(candidate.statistics.faults == 0)
    }

    @Test("Dropping the candidate kills and reaps its process")
    func deinitKills() throws {
        var candidate: ProcessCandidate? = try Fixture.start("ok")
        let pid = try #require(candidate?.processID)
        candidate = nil
        #expect(isReaped(pid))
    }

    @Test("A candidate that ignores bye is killed after the close timeout")
    func closeKills() throws {
        var options = Fixture.options
        options.closeTimeout = .milliseconds(300)
        let candidate = try Fixture.start("ignore_bye", options: options)
        let pid = try #require(candidate.processID)
        expectAnswers(candidate.evaluate([call()]), for: [call()], faults: [:])
        let closing = ContinuousClock().measure { candidate.close() }
        #expect(closing >= .milliseconds(250))
        #expect(closing < .seconds(1))
        #expect(isReaped(pid))
    }

    @Test("A 1 MB burst of stderr never blocks the candidate; the last 4 KB are kept")
    func stderrChatter() throws {
        let started = ContinuousClock.now
        let candidate = try Fixture.start("stderr_chatter")
        defer { candidate.close() }
        let calls = [call(), call()]
        expectAnswers(candidate.evaluate(calls), for: calls, faults: [:])
        let tail = candidate.stderrTail
        #expect(tail.hasPrefix("…"))
        #expect(tail.utf8.count <= 4096 + "…".utf8.count)
        #expect(tail.contains("chatter 1023 xxx"))
        #expect(tail.hasSuffix("xxxx"))
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}

@Suite("ProcessCandidate: start failures", .enabled(if: Fixture.available))
struct StartFailureTests {
    private func startFailure(_ start: () throws -> ProcessCandidate) -> CandidateFault? {
        do {
            let candidate = try start()
            Issue.record("started \(candidate.info)")
            return nil
        } catch let fault as CandidateFault {
            #expect(fault.kind == .startFailed)
            return fault
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test("A command that cannot run")
    func cannotRun() throws {
        let fault = try #require(startFailure { try ProcessCandidate(command: "/nonexistent/candidate --serve") })
        #expect(fault.message.contains("stdout ended before the hello response"))
        #expect(fault.message.contains("exited with status 127"))
        #expect(fault.stderrTail.contains("not found"))
    }

    @Test("A candidate that exits before its hello")
    func exitBeforeHello() throws {
        let fault = try #require(startFailure { try Fixture.start("exit_before_hello") })
        #expect(fault.message.contains("stdout ended before the hello response"))
        #expect(fault.message.contains("exited with status 4"))
        #expect(fault.stderrTail == "fixture: exiting before hello")
    }

    @Test("A candidate that writes something else before its hello")
    func garbageBeforeHello() throws {
        let fault = try #require(startFailure { try Fixture.start("garbage_before_hello") })
        #expect(fault.message.contains("not a valid hello response"))
        #expect(fault.message.contains(#""Welcome to my candidate!""#))
        #expect(fault.message.contains("was still running, and was killed"))
    }

    @Test("A candidate that never answers the hello")
    func silentAtHello() throws {
        let options = ProcessCandidate.Options(startTimeout: .milliseconds(300))
        let fault = try #require(startFailure { try ProcessCandidate(command: "exec sleep 30", options: options) })
        #expect(fault.message.contains("no hello response within 0.3 seconds"))
    }
}

@Suite("ProcessCandidate: misbehaviour becomes a fault for the case it hits", .enabled(if: Fixture.available))
struct FaultTests {
    let calls = (0..<6).map { call(shape: [$0 % 3 + 1]) }

    @Test("Crash at a case: a crashed fault with the exit status and stderr, then a restart")
    func crash() throws {
        let candidate = try Fixture.once("crash_at", at: 2)
        defer { candidate.close() }
        let pid = try #require(candidate.processID)
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [2: .crashed])
        let fault = try #require(answers[2].fault)
        #expect(fault.message.contains("stdout ended before its response"))
        #expect(fault.message.contains("exited with status 3"))
        #expect(fault.stderrTail == "fixture: crashing at eval 2")
        #expect(candidate.statistics.restarts == 1)
        #expect(candidate.statistics.faults == 1)
        #expect(candidate.statistics.faultsByKind == [.crashed: 1])
        #expect(isReaped(pid))
        #expect(candidate.processID != pid)
    }

    @Test("Hang: a timed-out fault after the case timeout, then a restart")
    func hang() throws {
        let options = ProcessCandidate.Options(caseTimeout: .milliseconds(500))
        let candidate = try Fixture.once("hang_at", at: 1, options: options)
        defer { candidate.close() }
        let pid = try #require(candidate.processID)
        let started = ContinuousClock.now
        let answers = candidate.evaluate(Array(calls.prefix(3)))
        #expect(ContinuousClock.now - started < .seconds(2))
        expectAnswers(answers, for: Array(calls.prefix(3)), faults: [1: .timedOut])
        #expect(answers[1].fault?.message.contains("did not answer within 0.5 seconds") == true)
        #expect(answers[1].fault?.message.contains("was still running, and was killed") == true)
        #expect(isReaped(pid))
    }

    @Test("The whole process group is killed, grandchildren included")
    func processGroup() throws {
        let python = Fixture.python ?? "python3"
        let fixture = "\(Fixture.quote(python)) -S \(Fixture.quote(Fixture.script)) hang_at 0"
        let command = "sleep 30 & echo \"grandchild $!\" >&2; exec \(fixture)"
        let options = ProcessCandidate.Options(caseTimeout: .milliseconds(300))
        let candidate = try ProcessCandidate(command: command, options: options)
        defer { candidate.close() }
        let answers = candidate.evaluate([call()])
        let fault = try #require(answers[0].fault)
        #expect(fault.kind == .timedOut)
        let grandchild = try #require(
            fault.stderrTail.split(separator: " ").last.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) })
        #expect(isDead(grandchild))
    }

    @Test("Garbage instead of a response")
    func garbage() throws {
        let candidate = try Fixture.once("garbage_at", at: 1)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [1: .protocolViolation])
        #expect(answers[1].fault?.message.contains("invalid JSON at byte 0") == true)
        #expect(answers[1].fault?.message.contains(#""this is not json""#) == true)
    }

    @Test("Bytes that are not UTF-8")
    func notUTF8() throws {
        let candidate = try Fixture.once("nonutf8_at", at: 0)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [0: .protocolViolation])
        #expect(answers[0].fault?.message.contains("invalid UTF-8") == true)
    }

    @Test("Part of a line, then exit")
    func partialLine() throws {
        let candidate = try Fixture.once("partial_at", at: 1)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [1: .crashed])
        #expect(answers[1].fault?.message.contains("in the middle of a line that began") == true)
        #expect(answers[1].fault?.message.contains("exited with status 0") == true)
    }

    @Test("A wrong id")
    func wrongID() throws {
        let candidate = try Fixture.once("wrong_id_at", at: 1)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [1: .protocolViolation])
        #expect(answers[1].fault?.message.contains(#"field "id": expected id 2, got 1002"#) == true)
    }

    @Test("A wrong shape and dtype is not a fault: it decodes, and the judge will fail it")
    func wrongShape() throws {
        let candidate = try Fixture.once("wrong_shape_at", at: 1)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        let loss = try #require(answers[1].result?.loss)
        #expect(loss.dtype == .float16)
        #expect(loss.shape == [7])
        var others = answers
        others.remove(at: 1)
        var otherCalls = calls
        otherCalls.remove(at: 1)
        expectAnswers(others, for: otherCalls, faults: [:])
        #expect(candidate.statistics.faults == 0)
    }

    @Test("Bad base64")
    func badBase64() throws {
        let candidate = try Fixture.once("bad_base64_at", at: 0)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [0: .protocolViolation])
        #expect(answers[0].fault?.message.contains(#"field "loss.data": invalid base64 at offset 0"#) == true)
    }

    @Test("An adapter's internal failure is a protocol violation, with the candidate's message")
    func unknownKind() throws {
        let candidate = try Fixture.once("unknown_kind_at", at: 0)
        defer { candidate.close() }
        let answers = candidate.evaluate(calls)
        expectAnswers(answers, for: calls, faults: [0: .protocolViolation])
        #expect(answers[0].fault?.message.contains(#"field "error": the candidate failed internally"#) == true)
        #expect(answers[0].fault?.message.contains("ZeroDivisionError") == true)
    }

    @Test("A 100 MB line is too long, and is noticed without being buffered")
    func hugeLine() throws {
        let candidate = try Fixture.once("huge_at", at: 0)
        defer { candidate.close() }
        let started = ContinuousClock.now
        let answers = candidate.evaluate(Array(calls.prefix(2)))
        #expect(ContinuousClock.now - started < .seconds(2))
        expectAnswers(answers, for: Array(calls.prefix(2)), faults: [0: .protocolViolation])
        let limit = ProcessCandidate.responseLineLimit(for: calls[0], slack: 64 << 10)
        #expect(answers[0].fault?.message.contains("the response is longer than \(limit) bytes") == true)
    }
}

@Suite("ProcessCandidate: restarts are bounded", .enabled(if: Fixture.available))
struct RestartTests {
    @Test("Three faults in a row right after restarts: the rest of the run is given up")
    func givesUpAfterConsecutiveFaults() throws {
        let candidate = try Fixture.start("crash_at", "0")
        defer { candidate.close() }
        let calls = (0..<8).map { _ in call() }
        let answers = candidate.evaluate(calls)
        for index in 0..<4 {
            #expect(answers[index].fault?.kind == .crashed)
            #expect(answers[index].fault?.message.hasPrefix("case \(index): the candidate's stdout ended") == true)
        }
        for index in 4..<8 {
            #expect(answers[index].fault?.message.hasPrefix("case \(index): not evaluated: the suite gave up") == true)
            #expect(answers[index].fault?.message.contains("3 faults in a row, each right after a restart") == true)
            // The first fault's reason, which the later ones repeat, is kept.
            #expect(
                answers[index].fault?.message.contains("(the first: case 0: the candidate's stdout ended") == true,
                "\(answers[index].fault?.message ?? "")")
        }
        #expect(candidate.statistics.restarts == 3)
        #expect(candidate.statistics.faults == 4)
        #expect(candidate.statistics.gaveUp)
        #expect(candidate.statistics.abandonedCases == 4)
        #expect(candidate.evaluate([call()])[0].fault?.message.contains("gave up") == true)
    }

    @Test("A limit on restarts in all")
    func restartLimit() throws {
        var options = Fixture.options
        options.maximumRestarts = 2
        let candidate = try Fixture.start("crash_at", "1", options: options)
        defer { candidate.close() }
        let calls = (0..<10).map { _ in call() }
        let answers = candidate.evaluate(calls)
        expectAnswers(
            Array(answers.prefix(6)), for: Array(calls.prefix(6)), faults: [1: .crashed, 3: .crashed, 5: .crashed])
        for index in 6..<10 {
            #expect(answers[index].fault?.message.contains("gave up on the candidate after 2 restarts") == true)
            #expect(answers[index].fault?.message.contains("(the first: case 5: the candidate's stdout ended") == true)
        }
        #expect(candidate.statistics.restarts == 2)
    }

    @Test("A restart whose handshake differs is a fault")
    func changedHandshake() throws {
        let marker = Fixture.marker()
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let candidate = try Fixture.start("rename_after_restart", "1", marker)
        defer { candidate.close() }
        let calls = (0..<6).map { _ in call() }
        let answers = candidate.evaluate(calls)
        expectAnswers(Array(answers.prefix(2)), for: Array(calls.prefix(2)), faults: [1: .crashed])
        for index in 2..<5 {
            #expect(answers[index].fault?.kind == .startFailed)
            #expect(answers[index].fault?.message.hasPrefix("case \(index): the restart failed") == true)
            #expect(answers[index].fault?.message.contains("differs from the first") == true)
        }
        #expect(answers[5].fault?.message.contains("gave up") == true)
    }
}

@Suite("ProcessCandidate: pipelining never deadlocks", .enabled(if: Fixture.available))
struct PipeliningTests {
    /// 2,000 calls whose requests (3 × 2.7 KB of base64) and answers (2.7 KB) fill the pipes many times
    /// over with the default window of 64 requests.
    static let calls = (0..<2000).map { _ in call(shape: [256], dtype: .float64) }

    @Test("2,000 pipelined requests to a candidate that answers each as it reads it")
    func lineByLine() throws {
        let candidate = try Fixture.start("ok")
        defer { candidate.close() }
        expectAnswers(candidate.evaluate(Self.calls), for: Self.calls, faults: [:])
        #expect(candidate.statistics.responses == 2000)
    }

    @Test("2,000 requests to a candidate that reads whatever is waiting, then writes all its answers")
    func bursts() throws {
        let candidate = try Fixture.start("bursty")
        defer { candidate.close() }
        expectAnswers(candidate.evaluate(Self.calls), for: Self.calls, faults: [:])
    }

    @Test("2,000 requests to a candidate that reads every one before it answers any")
    func readsEverythingFirst() throws {
        var options = Fixture.options
        options.maximumRequestsInFlight = 2000
        options.maximumBytesInFlight = .max
        let candidate = try Fixture.start("read_all", "2000", options: options)
        defer { candidate.close() }
        expectAnswers(candidate.evaluate(Self.calls), for: Self.calls, faults: [:])
    }
}

@Suite("ProcessCandidate: the response length limit")
struct LimitTests {
    @Test("Twice the base64 of everything the answer may hold, counted as float64, plus the slack")
    func limits() {
        // 'none' loss of 3 elements: 24 bytes, 32 characters of base64.
        #expect(ProcessCandidate.responseLineLimit(for: call(shape: [3]), slack: 100) == 2 * 32 + 100)
        // With gradients: loss 3 + input 3 + target 3 + var 3 = 12 elements, 96 bytes, 128 characters.
        #expect(ProcessCandidate.responseLineLimit(for: call(shape: [3], grad: true), slack: 0) == 256)
        // Broadcasting (4, 1) against (1, 5) gives a loss of 20 elements.
        let broadcast = LossCase(
            input: try! .filled(0, dtype: .float32, shape: [4, 1]),
            target: try! .filled(0, dtype: .float32, shape: [1, 5]),
            variance: .scalar(1))
        #expect(ProcessCandidate.responseLineLimit(for: broadcast, slack: 0) == 2 * Base64.encodedLength(of: 160)!)
        // An empty call still allows the slack.
        #expect(ProcessCandidate.responseLineLimit(for: call(shape: [0]), slack: 10) == 2 * 12 + 10)
    }
}
