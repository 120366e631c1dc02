extension ProcessCandidate {
    /// When to stop restarting a candidate that keeps faulting: after
    /// ``Options/maximumFaultsAfterRestart`` faults in a row, each right after a restart, or after
    /// ``Options/maximumRestarts`` restarts in all.
    struct RestartPolicy {
        let maximumFaultsAfterRestart: Int
        let maximumRestarts: Int
        /// Faults in a row, each before any case was answered since the last restart.
        private(set) var faultsAfterRestart = 0
        /// Whether no case has been answered since the last restart.
        private(set) var justRestarted = false

        init(options: Options) {
            maximumFaultsAfterRestart = options.maximumFaultsAfterRestart
            maximumRestarts = options.maximumRestarts
        }

        /// A fresh process was started after a fault.
        mutating func restarted() {
            justRestarted = true
        }

        /// A response was accepted.
        mutating func caseAnswered() {
            justRestarted = false
            faultsAfterRestart = 0
        }

        /// A case got a fault.
        mutating func faulted() {
            if justRestarted { faultsAfterRestart += 1 }
        }

        /// Why to give up instead of restarting, after `restarts` restarts in all; nil to restart.
        func reasonToGiveUp(restarts: Int) -> String? {
            if faultsAfterRestart >= maximumFaultsAfterRestart {
                return "\(faultsAfterRestart) faults in a row, each right after a restart"
            }
            if restarts >= maximumRestarts {
                return "\(restarts) restarts"
            }
            return nil
        }
    }
}
