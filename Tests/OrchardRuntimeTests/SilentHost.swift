import OrchardWire

/// A host that says hello for some clients and then never answers a task.
final class SilentHost {
    let context: ZMQContext
    let socket: ZMQSocket

    init(endpoint: String, clients: [UInt32]) throws {
        context = try ZMQContext()
        socket = try ZMQSocket.clientDealer(context: context, hostID: "silent")
        try socket.connect(endpoint)
        let capabilities = clients.map {
            ClientCapabilities(
                clientID: $0, memoryBudgetBytes: 0, computeFLOPsPerSecond: 1, uplinkBitsPerSecond: 1,
                downlinkBitsPerSecond: 1, latencySeconds: 0)
        }
        try socket.send(
            try MessageCodec().encode(Message(body: .hello(Hello(hostID: "silent", clients: capabilities)))), to: nil)
    }
}
