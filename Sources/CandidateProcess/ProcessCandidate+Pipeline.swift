import CandidateProtocol
import GaussianNLL

extension ProcessCandidate {
    /// One ``ProcessCandidate/evaluate(_:)`` call's progress: the answers so far, and the window of
    /// requests written and not yet answered, oldest first.
    ///
    /// It knows nothing of processes: the caller hands it the connection to write to and read from,
    /// and decides what a problem it reports costs (a fault, a restart, giving up).
    struct Pipeline {
        /// A request written and not yet answered.
        struct InFlight {
            var index: Int
            var id: Int
            var byteCount: Int
            var lineLimit: Int
        }

        /// A misbehaviour of the candidate, found with the oldest unanswered case.
        struct Problem {
            var kind: CandidateFault.Kind
            var message: String
            /// How long the process may take to exit before it is killed.
            var grace: Duration = .zero
        }

        let calls: [LossCase]
        let options: Options
        /// The protocol version the handshake chose.
        let version: Int
        private var answers: [CandidateAnswer?]
        /// The first case not yet written (nor answered).
        private(set) var next = 0
        /// The requests written since the window was last empty; those before `head` are answered.
        private var inFlight: [InFlight] = []
        private var head = 0
        private var bytesInFlight = 0
        /// When the oldest unanswered request became the oldest: its timeout counts from here.
        private var headSince = ContinuousClock.now

        init(calls: [LossCase], options: Options, version: Int) {
            self.calls = calls
            self.options = options
            self.version = version
            answers = [CandidateAnswer?](repeating: nil, count: calls.count)
        }

        /// Whether no request is waiting for its response.
        var isIdle: Bool { head == inFlight.count }

        /// The index of the oldest unanswered case, which a problem is charged to.
        var oldestIndex: Int { inFlight[head].index }

        /// The answers, one per call; a case never answered (which does not happen) gets a fault.
        var finalAnswers: [CandidateAnswer] {
            answers.map { $0 ?? .fault(CandidateFault(kind: .crashed, message: "no answer")) }
        }

        /// Empties the idle window and moves past the cases already answered; false when every case is.
        mutating func startOver() -> Bool {
            inFlight.removeAll(keepingCapacity: true)
            head = 0
            while next < calls.count && answers[next] != nil { next += 1 }
            return next < calls.count
        }

        /// Answers the next case without sending it.
        mutating func answerNext(_ answer: CandidateAnswer) {
            answers[next] = answer
            next += 1
        }

        /// Answers every case from the next one on.
        mutating func answerRemaining(_ answer: (Int) -> CandidateAnswer) {
            for index in next..<calls.count { answers[index] = answer(index) }
        }

        /// Starts the oldest request's timeout again (a fresh process took over).
        mutating func restartClock() {
            headSince = ContinuousClock.now
        }

        /// Ends the window after a misbehaviour: the oldest unanswered case gets `fault`, and the cases
        /// after it are sent again.
        mutating func charge(_ fault: CandidateFault) {
            let index = inFlight[head].index
            answers[index] = .fault(fault)
            next = index + 1
            inFlight.removeAll()
            head = 0
            bytesInFlight = 0
        }

        /// Writes requests until the window holds ``Options/maximumRequestsInFlight`` of them or, past
        /// the first, ``Options/maximumBytesInFlight`` bytes. A case the protocol cannot express is
        /// answered with a rejection instead.
        mutating func fill(_ connection: Connection, nextID: inout Int, statistics: inout Statistics) {
            while next < calls.count && inFlight.count - head < options.maximumRequestsInFlight
                && (head == inFlight.count || bytesInFlight < options.maximumBytesInFlight)
            {
                if answers[next] != nil {  // not sendable, found before a fault made this case come round again
                    next += 1
                    continue
                }
                let call = calls[next]
                let request: [UInt8]
                do {
                    request = try ProtocolMessages.evalRequest(id: nextID, call: call, version: version)
                } catch {
                    statistics.unsendableCases += 1
                    answers[next] = .outcome(
                        .rejection(.notSent("not sent: protocol \(version) cannot express this case: \(error.detail)")))
                    next += 1
                    continue
                }
                if head == inFlight.count { headSince = ContinuousClock.now }
                connection.send(request)
                inFlight.append(
                    InFlight(
                        index: next, id: nextID, byteCount: request.count,
                        lineLimit: ProcessCandidate.responseLineLimit(for: call, slack: options.responseSlack)))
                statistics.requests += 1
                bytesInFlight += request.count
                nextID += 1
                next += 1
            }
        }

        /// Takes every complete response line, in order; stops at the first one that breaks the protocol
        /// and returns that problem.
        mutating func takeResponses(
            _ connection: Connection, statistics: inout Statistics, restartPolicy: inout RestartPolicy
        ) -> Problem? {
            while head < inFlight.count, let line = connection.lines.nextLine() {
                let current = inFlight[head]
                guard line.count <= current.lineLimit else {
                    return Problem(
                        kind: .protocolViolation,
                        message: "the response is longer than \(current.lineLimit) bytes, the most it could need")
                }
                do {
                    let outcome = try ProtocolMessages.decodeEvalResponse(
                        line, expectedID: current.id, call: calls[current.index], version: version)
                    answers[current.index] = .outcome(outcome)
                    statistics.responses += 1
                    restartPolicy.caseAnswered()
                    bytesInFlight -= current.byteCount
                    head += 1
                    headSince = ContinuousClock.now
                } catch {
                    return Problem(
                        kind: .protocolViolation, message: "\(error.description); the line began \(preview(line))")
                }
            }
            return nil
        }

        /// The deadline of the oldest unanswered case.
        var deadline: ContinuousClock.Instant { headSince + options.caseTimeout }

        /// What is wrong with the oldest unanswered case while its response is incomplete: a partial line
        /// already too long, stdout at its end, or its timeout passed; nil while it may still come.
        func problemWithOldest(_ connection: Connection) -> Problem? {
            let current = inFlight[head]
            if connection.lines.pendingCount > current.lineLimit {
                return Problem(
                    kind: .protocolViolation,
                    message: "the response is longer than \(current.lineLimit) bytes, the most it could need")
            }
            if connection.stdoutAtEnd {
                var problem = "the candidate's stdout ended before its response"
                if !connection.lines.isEmpty {
                    problem += ", in the middle of a line that began \(preview(connection.lines.takeRest()))"
                }
                if let code = connection.readError { problem += " (read failed: errno \(code))" }
                return Problem(kind: .crashed, message: problem, grace: .milliseconds(500))
            }
            if ContinuousClock.now >= deadline {
                let what = connection.hasUnsentBytes ? "did not read its request" : "did not answer"
                return Problem(kind: .timedOut, message: "the candidate \(what) within \(options.caseTimeout)")
            }
            return nil
        }
    }
}
