import ArgumentParser
import Foundation
import Verification

/// `gnll`: the GaussianNLLLoss conformance suite.
@main
struct GNLL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gnll",
        abstract: "A conformance suite for PyTorch's GaussianNLLLoss (torch.nn.functional.gaussian_nll_loss).",
        discussion: """
            Verify an implementation against PyTorch's semantics, replay golden vectors recorded from real \
            PyTorch, or serve the reference as a protocol candidate. The protocol and the tolerance model are \
            described in CONFORMANCE.md.

            Exit codes: 0 conformant, 1 not conformant, 2 usage or infrastructure error.
            """,
        version: gnllVersion,
        subcommands: [
            Verify.self, Serve.self, Golden.self, Report.self, Fuzz.self, Replay.self, Mutants.self, Bench.self,
        ])

    /// Runs the command, mapping ArgumentParser's usage errors (64) and every ``CommandFailure`` to this tool's 2.
    ///
    /// Every way out claims the exit first (``Interruption/claimExit()``), so that a signal's handler never exits
    /// at the same time.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
            Interruption.claimExit()
        } catch let failure as CommandFailure {
            Interruption.claimExit()
            printError("error: \(failure.message)")
            Foundation.exit(cannotDecide.rawValue)
        } catch {
            Interruption.claimExit()
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            Foundation.exit(code == .validationFailure ? cannotDecide.rawValue : code.rawValue)
        }
    }
}

/// An error that leaves a command without a verdict: printed as `error: MESSAGE`, exit code 2.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

/// Exit code 1: the candidate does not conform.
let notConformant = ExitCode(1)
/// Exit code 2: a usage error, or an infrastructure error that prevents a verdict.
let cannotDecide = ExitCode(2)

/// Prints a line to standard error, control characters shown: the message may quote a candidate's stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.showingControlCharacters() + "\n").utf8))
}
