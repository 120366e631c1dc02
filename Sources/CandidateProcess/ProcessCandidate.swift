import CandidateProtocol
public import GaussianNLL

/// A candidate in another process, spoken to through the candidate protocol (version 1).
///
/// The initializer starts `/bin/sh -c COMMAND` in its own process group and does the handshake.
/// ``evaluate(_:)`` then pipelines `eval` requests: it keeps up to ``Options/maximumRequestsInFlight``
/// requests (or ``Options/maximumBytesInFlight`` bytes) outstanding, and writes requests and reads
/// responses in one `poll` loop, so a candidate that writes before it reads cannot deadlock it. Its
/// stderr is drained all the while into a bounded tail (the last ``Options/stderrTailLength`` bytes).
///
/// A misbehaviour is a ``CandidateFault`` answer for the case it hit, never an error or a trap: exiting
/// (`crashed`), not answering within ``Options/caseTimeout`` (`timedOut`), or an answer that breaks the
/// protocol (`protocolViolation`: not UTF-8, not JSON, a wrong id, malformed fields or tensors, a line
/// longer than the case could need). The fault names the case (its index in the `evaluate` call) and
/// carries the stderr tail. The process group is then killed and reaped, and a fresh process, with a
/// fresh handshake that must match the first, takes the following cases. After
/// ``Options/maximumFaultsAfterRestart`` faults in a row each right after a restart, or
/// ``Options/maximumRestarts`` restarts in all, it gives up: the remaining cases get a fault that says so.
///
/// ```swift
/// let candidate = try ProcessCandidate(command: "python3 my_candidate.py")
/// defer { candidate.close() }
/// let answers = candidate.evaluate(cases)
/// ```
///
/// Each process starts with `GNLL_CANDIDATE` set in its environment to a value of its own; ending it kills
/// its process group, then every process that still carries that value, so that a helper that left the group
/// (`setsid`) ends with it. ``killAll()`` does the same for every candidate at once, from any thread.
///
/// Starting a candidate makes the whole process ignore SIGPIPE (the candidate itself gets the default
/// disposition back). The type is not thread-safe: use one instance from one thread at a time.
public final class ProcessCandidate: Candidate {
    /// Limits and overrides for a process candidate.
    public struct Options: Sendable {
        /// How long a case may take, counted from when it is the oldest unanswered case.
        public var caseTimeout: Duration = .seconds(10)
        /// How long the process may take to answer the handshake.
        public var startTimeout: Duration = .seconds(10)
        /// Replaces the profile the candidate declares (the suite's `--profile`).
        public var profile: Profile?
        /// The most requests written and not yet answered.
        public var maximumRequestsInFlight = 64
        /// The most request bytes written and not yet answered; one request is always allowed.
        public var maximumBytesInFlight = 4 << 20
        /// Added to twice the base64 size of everything an answer may hold, to give the longest response
        /// line accepted for a case (see ``ProcessCandidate/responseLineLimit(for:slack:)``).
        public var responseSlack = 64 << 10
        /// The longest `hello` response accepted.
        public var maximumHelloLength = 64 << 10
        /// The most restarts in all before giving up.
        public var maximumRestarts = 25
        /// The most faults in a row, each right after a restart, before giving up.
        public var maximumFaultsAfterRestart = 3
        /// How many bytes of stderr to keep.
        public var stderrTailLength = 4096
        /// How long ``ProcessCandidate/close()`` waits for the process to exit after `bye`.
        public var closeTimeout: Duration = .seconds(2)

        /// The defaults, with the timeouts and the profile override given.
        public init(
            caseTimeout: Duration = .seconds(10), startTimeout: Duration = .seconds(10), profile: Profile? = nil
        ) {
            self.caseTimeout = caseTimeout
            self.startTimeout = startTimeout
            self.profile = profile
        }
    }

    /// What the candidate has done so far.
    public struct Statistics: Sendable, Equatable {
        /// Processes started, the first one included.
        public var starts = 0
        /// Processes started after a fault.
        public var restarts = 0
        /// Faults: cases answered with a ``CandidateFault`` because the candidate misbehaved.
        public var faults = 0
        /// Faults by kind.
        public var faultsByKind: [CandidateFault.Kind: Int] = [:]
        /// `eval` requests written.
        public var requests = 0
        /// Responses accepted (results and rejections).
        public var responses = 0
        /// Cases that could not be written in the protocol (a non-finite eps or scalar var).
        public var unsendableCases = 0
        /// Cases not evaluated because the candidate was given up.
        public var abandonedCases = 0
        /// Whether the candidate was given up.
        public var gaveUp = false

        /// Zero counts.
        public init() {}
    }

    /// The command, run as `/bin/sh -c COMMAND`.
    public let command: String
    /// The limits it runs under.
    public let options: Options
    /// The handshake, with the profile replaced when ``Options/profile`` is set.
    public let info: CandidateInfo
    /// The handshake as the candidate sent it; every restart must send the same.
    public let handshake: CandidateInfo
    /// What it has done so far.
    public private(set) var statistics = Statistics()

    private var connection: Connection?
    private var nextID = 1
    private var restartPolicy: RestartPolicy
    private var lastFault: CandidateFault?
    /// The fault that began the current run of faults, each right after a restart.
    private var firstFaultInRow: CandidateFault?
    private var isClosed = false

    /// Starts the candidate and does the handshake.
    ///
    /// - Throws: ``CandidateFault`` of kind `startFailed` when the shell cannot be started, or the
    ///   candidate exits, times out or writes anything but a valid `hello` response first.
    public init(command: String, options: Options = Options()) throws(CandidateFault) {
        self.command = command
        self.options = options
        restartPolicy = RestartPolicy(options: options)
        let (connection, handshake) = try Self.start(command: command, options: options)
        self.connection = connection
        self.handshake = handshake
        var info = handshake
        if let profile = options.profile { info.profile = profile }
        self.info = info
        statistics.starts = 1
    }

    deinit {
        connection?.terminate(grace: .zero)
    }

    /// The last bytes the current (or last) process wrote to stderr, trimmed.
    public var stderrTail: String { connection?.stderrTail.text ?? lastFault?.stderrTail ?? "" }

    /// The process id of the running shell (the leader of its process group), or `nil` when none runs.
    public var processID: Int32? { connection?.child.pid }

    /// Whether a process is running (it is not after a fault until the next case needs one, nor after
    /// ``close()``).
    public var isRunning: Bool { connection != nil }

    /// Sends `bye`, waits up to ``Options/closeTimeout`` for the process to exit, then kills what is left
    /// of its process group. Later calls to ``evaluate(_:)`` answer every case with a fault.
    public func close() {
        isClosed = true
        guard let connection else { return }
        self.connection = nil
        let deadline = ContinuousClock.now + options.closeTimeout
        connection.send(ProtocolMessages.byeRequest)
        while !connection.stdoutAtEnd && ContinuousClock.now < deadline {
            connection.pump(until: deadline)
            _ = connection.lines.takeRest()
            if !connection.hasUnsentBytes { connection.closeStdin() }
        }
        let remaining = deadline - ContinuousClock.now
        connection.terminate(grace: max(remaining, .milliseconds(1)))
    }

    // MARK: - Starting

    private static func start(command: String, options: Options) throws(CandidateFault) -> (Connection, CandidateInfo) {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command: command)
        } catch {
            throw CandidateFault(kind: .startFailed, message: "cannot start /bin/sh -c \(command): \(error)")
        }
        let connection = Connection(child: child, stderrLimit: options.stderrTailLength)
        connection.send(ProtocolMessages.helloRequest)
        let deadline = ContinuousClock.now + options.startTimeout

        func failure(_ problem: String, grace: Duration = .zero) -> CandidateFault {
            connection.terminate(grace: grace)
            return CandidateFault(
                kind: .startFailed, message: "\(problem) (the process \(connection.ending))",
                stderrTail: connection.stderrTail.text)
        }
        while true {
            if let line = connection.lines.nextLine() {
                guard line.count <= options.maximumHelloLength else {
                    throw failure("the hello response is longer than \(options.maximumHelloLength) bytes")
                }
                do {
                    return (connection, try ProtocolMessages.decodeHelloResponse(line))
                } catch {
                    throw failure(
                        "the first line is not a valid hello response: \(error.detail); it began \(preview(line))")
                }
            }
            if connection.lines.pendingCount > options.maximumHelloLength {
                throw failure("the hello response is longer than \(options.maximumHelloLength) bytes")
            }
            if connection.stdoutAtEnd {
                let partial = connection.lines.isEmpty ? "" : ", in the middle of a line"
                throw failure("stdout ended before the hello response\(partial)", grace: .milliseconds(500))
            }
            if ContinuousClock.now >= deadline {
                throw failure("no hello response within \(options.startTimeout)")
            }
            connection.pump(until: deadline)
        }
    }

    // MARK: - Evaluating

    /// Evaluates the calls in order, one answer per call; never throws and never traps.
    public func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        var pipeline = Pipeline(calls: calls, options: options, version: info.protocolVersion)
        while true {
            if pipeline.isIdle && !pipeline.startOver() { break }
            guard !isClosed, !statistics.gaveUp else {
                pipeline.answerRemaining { .fault(abandonment(of: $0)) }
                break
            }
            if connection == nil { restartOrGiveUp(&pipeline) }
            guard let connection else { continue }

            pipeline.fill(connection, nextID: &nextID, statistics: &statistics)
            if pipeline.isIdle { continue }
            if let problem = pipeline.takeResponses(
                connection, statistics: &statistics, restartPolicy: &restartPolicy)
            {
                fail(problem, &pipeline)
                continue
            }
            if pipeline.isIdle { continue }
            if let problem = pipeline.problemWithOldest(connection) {
                fail(problem, &pipeline)
                continue
            }
            connection.pump(until: pipeline.deadline)
        }
        return pipeline.finalAnswers
    }

    /// Starts a fresh process for the next case, or gives up on the candidate when ``RestartPolicy``
    /// says so. A restart that fails is the next case's fault, and leaves no process running.
    private func restartOrGiveUp(_ pipeline: inout Pipeline) {
        if let reason = restartPolicy.reasonToGiveUp(restarts: statistics.restarts) {
            statistics.gaveUp = true
            // The first fault of the run of faults says what went wrong; the later ones mostly repeat it.
            let cause = firstFaultInRow ?? lastFault
            lastFault = CandidateFault(
                kind: cause?.kind ?? .crashed, message: reason + (cause.map { " (the first: \($0.message))" } ?? ""),
                stderrTail: lastFault?.stderrTail ?? "")
            return
        }
        statistics.restarts += 1
        statistics.starts += 1
        restartPolicy.restarted()
        do throws(CandidateFault) {
            let (restarted, handshake) = try Self.start(command: command, options: options)
            guard handshake == self.handshake else {
                restarted.terminate(grace: .zero)
                throw CandidateFault(
                    kind: .startFailed,
                    message: "the restarted candidate's handshake (\(summary(of: handshake))) differs from "
                        + "the first (\(summary(of: self.handshake)))", stderrTail: restarted.stderrTail.text)
            }
            connection = restarted
            pipeline.restartClock()
        } catch {
            let fault = CandidateFault(
                kind: .startFailed, message: "case \(pipeline.next): the restart failed: \(error.message)",
                stderrTail: error.stderrTail)
            record(fault)
            pipeline.answerNext(.fault(fault))
        }
    }

    /// Kills the process after a misbehaviour and charges the fault to the oldest unanswered case.
    private func fail(_ problem: Pipeline.Problem, _ pipeline: inout Pipeline) {
        let index = pipeline.oldestIndex
        connection?.terminate(grace: problem.grace)
        let ending = connection.map { " (the process \($0.ending))" } ?? ""
        let fault = CandidateFault(
            kind: problem.kind, message: "case \(index): \(problem.message)\(ending)",
            stderrTail: connection?.stderrTail.text ?? "")
        record(fault)
        pipeline.charge(fault)
        connection = nil
    }

    private func record(_ fault: CandidateFault) {
        if !restartPolicy.justRestarted { firstFaultInRow = fault }
        statistics.faults += 1
        statistics.faultsByKind[fault.kind, default: 0] += 1
        restartPolicy.faulted()
        lastFault = fault
    }

    private func abandonment(of index: Int) -> CandidateFault {
        statistics.abandonedCases += 1
        if isClosed {
            return CandidateFault(kind: .crashed, message: "case \(index): not evaluated: the candidate was closed")
        }
        let reason = lastFault?.message ?? "too many faults"
        return CandidateFault(
            kind: lastFault?.kind ?? .crashed,
            message: "case \(index): not evaluated: the suite gave up on the candidate after \(reason)",
            stderrTail: lastFault?.stderrTail ?? "")
    }

    // MARK: - Limits

    /// The longest response line accepted for a call: twice the base64 size of every tensor the answer
    /// may hold, counted as float64, plus `slack`.
    ///
    /// The loss is counted at the size of the broadcast of input, target and var (or of the largest
    /// operand, when they do not broadcast); gradients, when asked for, at the size of their operands.
    /// The arithmetic saturates instead of overflowing.
    public static func responseLineLimit(for call: LossCase, slack: Int) -> Int {
        let inputCount = call.input.elementCount
        let targetCount = call.target.elementCount
        let varianceCount = call.variance.tensor?.elementCount ?? 0
        var lossCount = max(inputCount, targetCount, varianceCount, 1)
        if case .success(let difference) = Shape.broadcast(call.input.shape, call.target.shape) {
            lossCount = max(lossCount, saturatingCount(difference))
            if let variance = call.variance.tensor {
                // var of input.shape[:-1] is unsqueezed at the end before it broadcasts.
                let shape =
                    variance.shape == call.input.shape.droppingLast ? variance.shape.appendingUnitAxis : variance.shape
                if case .success(let elements) = Shape.broadcast(difference, shape) {
                    lossCount = max(lossCount, saturatingCount(elements))
                }
            }
        }
        var elements = lossCount
        if call.wantsGradients {
            for count in [inputCount, targetCount, varianceCount] {
                elements = elements.addingReportingOverflow(count).overflow ? .max : elements + count
            }
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: 8)
        guard !overflow, let encoded = Base64.encodedLength(of: bytes) else { return .max }
        let (doubled, doubleOverflow) = encoded.multipliedReportingOverflow(by: 2)
        let (limit, sumOverflow) = doubled.addingReportingOverflow(slack)
        return doubleOverflow || sumOverflow ? .max : limit
    }

    private static func saturatingCount(_ shape: Shape) -> Int {
        var count = 1
        for extent in shape.dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(extent, 0))
            if overflow { return .max }
            count = product
        }
        return count
    }
}

/// A handshake in one line: `name version, protocol 2, torch-2.10, dtypes float32 float64, features grad`.
func summary(of info: CandidateInfo) -> String {
    let dtypes = info.dtypes.map(\.rawValue).joined(separator: " ")
    let features = info.features.map(\.rawValue).joined(separator: " ")
    return "\(info.name) \(info.version), protocol \(info.protocolVersion), \(info.profile), dtypes \(dtypes), "
        + "features \(features)"
}

/// The start of a line, for messages: at most 60 bytes, in quotes, with anything but printable ASCII
/// escaped.
func preview(_ line: some Collection<UInt8>) -> String {
    var text = "\""
    for byte in line.prefix(60) {
        switch byte {
        case UInt8(ascii: "\""): text += "\\\""
        case UInt8(ascii: "\\"): text += "\\\\"
        case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
        }
    }
    text += line.count > 60 ? "\"…" : "\""
    return text
}
