import Foundation

extension ClientHost {
    /// What a host says on stderr while no coordinator has answered it yet, so that a wrong
    /// endpoint or a coordinator not started shows at once rather than after minutes of silence.
    ///
    /// A host started on its own says where it waits as it starts; every host then says how long
    /// it has waited at an interval (15 s, or a quarter of the give-up time when that is shorter),
    /// until the coordinator first answers, and its giving-up error says what it waited for.
    struct WaitNotice {
        private let hostID: String
        private let endpoint: String
        private let curve: Bool
        private let giveUpAfter: Duration
        private let interval: Duration
        private let started = ContinuousClock.now
        private var lastNotice = ContinuousClock.now
        private var hasAnswer = false

        init(_ settings: Settings) {
            hostID = settings.hostID
            endpoint = settings.endpoint
            curve = settings.wire.security.isCurve
            giveUpAfter = settings.giveUpAfter
            interval = min(.seconds(15), max(settings.giveUpAfter / 4, .milliseconds(500)))
            // A host of `orchard run` joins a coordinator that is already listening: no news.
            if settings.parentProcess == nil {
                say("waiting for the coordinator at \(endpoint) (giving up after \(Self.seconds(giveUpAfter)))")
            }
        }

        /// The coordinator answered: no more notices.
        mutating func answered() { hasAnswer = true }

        /// Says how long the host has waited, when an interval has passed since the last notice.
        mutating func remind(at now: ContinuousClock.Instant) {
            guard !hasAnswer, now - lastNotice >= interval else { return }
            lastNotice = now
            say(
                "still waiting for the coordinator at \(endpoint): \(Self.seconds(now - started)) so far, "
                    + "giving up after \(Self.seconds(giveUpAfter))")
        }

        /// The error that ends a host after `silence` without word from the coordinator.
        func givingUp(silence: Duration) -> RuntimeError {
            let what =
                hasAnswer
                ? "no word from the coordinator at \(endpoint) for \(Self.seconds(silence))"
                : "no coordinator answered at \(endpoint) in \(Self.seconds(silence)) "
                    + "(is it running, and is the endpoint right?)"
            // A coordinator that refuses the handshake says nothing, so the likely causes are named.
            let keys =
                curve
                ? " (with --keys: is this host's key in the coordinator's allowed-hosts under this "
                    + "--host-id, and is coordinator.pub that coordinator's key?)" : ""
            return RuntimeError("host \(hostID): \(what); giving up" + keys)
        }

        private func say(_ text: String) {
            FileHandle.standardError.write(Data("host \(hostID): \(text)\n".utf8))
        }

        /// A duration as whole seconds, such as `15 s`.
        private static func seconds(_ duration: Duration) -> String {
            "\(duration.components.seconds) s"
        }
    }
}
