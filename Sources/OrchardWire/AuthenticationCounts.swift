/// How many CURVE peers a coordinator's socket turned away, by reason, and how many it admitted.
public struct AuthenticationCounts: Sendable, Equatable {
    /// Handshakes with a public key the allow-list does not hold.
    public var unknownKey = 0
    /// Messages whose routing id was not the host id bound to the sender's key; they are dropped.
    ///
    /// The ZAP handler sets every admitted peer's routing id to its key's host id, so this counts
    /// only a peer whose own routing id won a race inside libzmq's handshake (see `ZAPHandler`).
    public var idMismatch = 0
    /// Handshakes in which the coordinator read another mechanism than CURVE (a NULL or PLAIN client).
    ///
    /// Such a client usually hangs up first, as soon as it reads the coordinator's CURVE greeting,
    /// and is then counted under `failedHandshake`: the coordinator never got to its mechanism.
    public var wrongMechanism = 0
    /// Other failed handshakes: one cut short (see `wrongMechanism`), a client that holds the wrong
    /// coordinator key, bytes that are not ZMTP.
    public var failedHandshake = 0
    /// Handshakes the ZAP handler admitted.
    public var admitted = 0

    public init() {}

    /// Every denial, whatever its reason.
    public var denied: Int { unknownKey + idMismatch + wrongMechanism + failedHandshake }
}
