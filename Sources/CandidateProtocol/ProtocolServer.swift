public import GaussianNLL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves a ``Candidate`` over the candidate protocol on a pair of file descriptors: the candidate side
/// of `gnll serve`.
///
/// It reads request lines from `input` and writes one response line per `hello` and `eval` to
/// `output`, in order, until `bye` or the end of input. Requests that arrive together are evaluated
/// together, in one call to ``Candidate/evaluate(_:)``, and their responses written with one `write`.
///
/// A malformed request never stops the server: it gets an error response of kind `bad_request` (with
/// the request's id when that could be read, else null) and a line on `diagnostics`. So does a request
/// line longer than ``maximumRequestLength``, which is dropped without being buffered. An answer that is
/// a ``CandidateFault`` becomes an error response of kind `internal`. The suite reports both kinds,
/// which are not rejection kinds, as protocol violations with their message. Blank lines are ignored. After a
/// hello that negotiated protocol 1, the hello leaves out the integer and bool dtypes and the features hvp and jvp,
/// and a request that asks for hvp or jvp is answered `bad_request`.
///
/// ```swift
/// let server = ProtocolServer(candidate: ReferenceCandidate(profile: .torch2_10))
/// let statistics = try server.run()  // stdin and stdout
/// ```
///
/// The server does not change signal dispositions: if the reader of `output` goes away, a write raises
/// SIGPIPE unless the process ignores it, in which case ``run()`` throws.
public struct ProtocolServer {
    /// What a finished run did.
    public struct Statistics: Sendable, Equatable {
        /// Request lines read, blank lines not counted.
        public var requests = 0
        /// `eval` requests answered.
        public var evaluations = 0
        /// Requests answered with `bad_request`.
        public var malformedRequests = 0
        /// Whether the run ended with `bye` (rather than the end of input).
        public var endedWithBye = false

        /// Zero counts.
        public init() {}
    }

    /// An input or output error that ends a run.
    public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What failed: "read", "write", "poll before read".
        public var operation: String
        /// The error number the system call set.
        public var errno: Int32

        /// The operation and the system's text for the error.
        public var description: String {
            "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }

    /// The candidate served.
    public let candidate: any Candidate
    /// The descriptor requests are read from.
    public let input: Int32
    /// The descriptor responses are written to.
    public let output: Int32
    /// Where notes on malformed requests go; `nil` for nowhere.
    public let diagnostics: Int32?
    /// The longest request line accepted, in bytes.
    public let maximumRequestLength: Int
    /// The newest protocol version the server agrees to: the candidate's own, or less.
    public let newestProtocolVersion: Int

    /// Makes a server; it does nothing until ``run()``.
    public init(
        candidate: any Candidate, input: Int32 = 0, output: Int32 = 1, diagnostics: Int32? = 2,
        maximumRequestLength: Int = 256 << 20, newestProtocolVersion: Int? = nil
    ) {
        self.newestProtocolVersion = min(candidate.info.protocolVersion, newestProtocolVersion ?? .max)
        self.candidate = candidate
        self.input = input
        self.output = output
        self.diagnostics = diagnostics
        self.maximumRequestLength = maximumRequestLength
    }

    /// Serves until `bye` or the end of input.
    ///
    /// - Throws: ``IOError`` when reading or writing fails (for example, the suite has gone).
    @discardableResult
    public func run() throws(IOError) -> Statistics {
        var session = Session(server: self)
        var lines = LineBuffer()
        while true {
            switch lines.read(from: input) {
            case .bytes:
                break
            case .wouldBlock:
                try waitUntilReady(input, events: Int16(POLLIN), operation: "read")
                continue
            case .failed(let code):
                throw IOError(operation: "read", errno: code)
            case .endOfFile:
                while let line = lines.nextLine() { session.handle(line) }
                if !lines.isEmpty { session.handle(lines.takeRest()) }
                try session.flush()
                return session.statistics
            }
            while !session.sawBye, let line = lines.nextLine() {
                session.handle(line)
            }
            if !session.sawBye && lines.pendingCount > maximumRequestLength {
                lines.skipPendingLine()
                session.statistics.requests += 1
                session.reject(
                    ProtocolError(
                        subject: "request", problem: "the line is longer than \(maximumRequestLength) bytes"),
                    line: [])
            }
            try session.flush()
            if session.sawBye { return session.statistics }
        }
    }

    /// The state of one run: the requests waiting to be evaluated and the responses waiting to be written.
    private struct Session {
        let server: ProtocolServer
        var statistics = Statistics()
        var batch: [(id: Int, call: LossCase)] = []
        var writer = JSONWriter(capacity: 1 << 16)
        var sawBye = false
        /// The protocol version the last hello chose; 1 until a hello arrives.
        var version = 1

        init(server: ProtocolServer) {
            self.server = server
        }

        mutating func handle(_ line: ArraySlice<UInt8>) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) { return }
            statistics.requests += 1
            guard line.count <= server.maximumRequestLength else {
                reject(
                    ProtocolError(
                        subject: "request", problem: "the line is longer than \(server.maximumRequestLength) bytes"),
                    line: [])
                return
            }
            let request: ProtocolMessages.Request
            do {
                request = try ProtocolMessages.decodeRequest(line)
            } catch {
                reject(error, line: line)
                return
            }
            switch request {
            case .eval(let id, let call):
                if version < 2, let request = call.higherOrder {
                    reject(
                        ProtocolError(
                            subject: "request \(id)", field: request.hvp ? "hvp" : "jvp",
                            problem: "needs protocol 2, but protocol 1 was negotiated", id: id),
                        line: line)
                    return
                }
                batch.append((id, call))
            case .hello(let offered):
                evaluateBatch()
                let info = server.candidate.info
                // The newest offered version this candidate speaks; under 1, only the floating dtypes and the
                // features of protocol 1.
                let newest = server.newestProtocolVersion
                if let chosen = offered.filter({ ProtocolMessages.versions.contains($0) && $0 <= newest }).max() {
                    version = chosen
                    var negotiated = info
                    negotiated.protocolVersion = chosen
                    if chosen < 2 {
                        negotiated.dtypes = info.dtypes.filter(\.isFloatingPoint)
                        negotiated.features = info.features.filter(\.isInProtocol1)
                    }
                    writer.bytes.append(contentsOf: ProtocolMessages.encodeHelloResponse(negotiated))
                } else {
                    ProtocolMessages.appendErrorResponse(
                        id: nil, kind: RejectionKind.unsupported.rawValue,
                        message: "protocol \(offered.map(String.init).joined(separator: ", ")) is not supported; "
                            + "this candidate speaks protocol 1 to \(newest)", to: &writer)
                }
            case .bye:
                evaluateBatch()
                statistics.endedWithBye = true
                sawBye = true
            }
        }

        mutating func reject(_ error: ProtocolError, line: ArraySlice<UInt8>) {
            evaluateBatch()
            statistics.malformedRequests += 1
            ProtocolMessages.appendErrorResponse(
                id: error.id, kind: "bad_request", message: error.description, to: &writer)
            guard let diagnostics = server.diagnostics else { return }
            var note = Array("bad request: \(error.description)".utf8)
            if !line.isEmpty {
                note += Array(": ".utf8) + line.prefix(200).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }
            }
            note.append(0x0A)
            _ = try? writeAll(diagnostics, note, operation: "write to diagnostics")
        }

        mutating func evaluateBatch() {
            guard !batch.isEmpty else { return }
            let answers = server.candidate.evaluate(batch.map(\.call))
            for (position, request) in batch.enumerated() {
                guard position < answers.count else {
                    ProtocolMessages.appendErrorResponse(
                        id: request.id, kind: "internal",
                        message: "the candidate gave \(answers.count) answers to \(batch.count) calls", to: &writer)
                    continue
                }
                switch answers[position] {
                case .outcome(let outcome):
                    ProtocolMessages.appendEvalResponse(
                        id: request.id, outcome: outcome, version: version, to: &writer)
                case .fault(let fault):
                    ProtocolMessages.appendErrorResponse(
                        id: request.id, kind: "internal", message: fault.description, to: &writer)
                }
            }
            statistics.evaluations += batch.count
            batch.removeAll(keepingCapacity: true)
        }

        mutating func flush() throws(IOError) {
            evaluateBatch()
            guard !writer.bytes.isEmpty else { return }
            try writeAll(server.output, writer.bytes, operation: "write")
            writer.bytes.removeAll(keepingCapacity: true)
        }
    }
}

/// Writes every byte, retrying on EINTR and waiting when the descriptor is non-blocking and full.
private func writeAll(_ descriptor: Int32, _ bytes: [UInt8], operation: String) throws(ProtocolServer.IOError) {
    var written = 0
    while written < bytes.count {
        let count = bytes.withUnsafeBytes { buffer in
            systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
        }
        if count >= 0 {
            written += count
            continue
        }
        let code = errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK {
            try waitUntilReady(descriptor, events: Int16(POLLOUT), operation: operation)
            continue
        }
        throw ProtocolServer.IOError(operation: operation, errno: code)
    }
}

private func waitUntilReady(_ descriptor: Int32, events: Int16, operation: String) throws(ProtocolServer.IOError) {
    var entry = pollfd(fd: descriptor, events: events, revents: 0)
    while poll(&entry, 1, -1) < 0 {
        let code = errno
        if code != EINTR { throw ProtocolServer.IOError(operation: "poll before \(operation)", errno: code) }
    }
}

@inline(__always)
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.write(descriptor, buffer, count)
    #elseif canImport(Musl)
    Musl.write(descriptor, buffer, count)
    #else
    Glibc.write(descriptor, buffer, count)
    #endif
}
