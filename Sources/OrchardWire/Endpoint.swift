/// What an endpoint string says about who can reach it.
public enum Endpoint {
    /// Whether only this machine can reach `endpoint`: `ipc://` and `inproc://` endpoints, and TCP
    /// on a loopback address (127.0.0.0/8, `::1`, `localhost`).
    ///
    /// Anything else counts as reachable from other machines, wildcards and interface names
    /// (`tcp://*:5555`, `tcp://eth0:5555`) included, so the answer errs on the side of caution.
    public static func isLoopbackOnly(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let address = endpoint.dropFirst("tcp://".count)
        guard !address.contains(";") else { return false }
        let host: Substring
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { return false }
            host = address[address.index(after: address.startIndex)..<close]
        } else {
            guard let colon = address.lastIndex(of: ":") else { return false }
            host = address[..<colon]
        }
        return host == "localhost" || host == "::1" || isLoopbackIPv4(host)
    }

    /// Whether `host` is a dotted IPv4 address in 127.0.0.0/8.
    static func isLoopbackIPv4(_ host: Substring) -> Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.map { octet in
            octet.count <= 3 && !octet.isEmpty && octet.allSatisfy(\.isASCII) ? Int(octet) : nil
        }
        guard values.allSatisfy({ $0.map { 0...255 ~= $0 } ?? false }) else { return false }
        return values[0] == 127
    }
}
