import Testing

@testable import OrchardWire

@Suite("Endpoints")
struct EndpointTests {
    @Test(arguments: [
        "tcp://127.0.0.1:5555", "tcp://127.8.9.10:*", "tcp://localhost:5555", "tcp://[::1]:5555", "tcp://::1:5555",
        "ipc:///tmp/orchard.sock", "inproc://coordinator",
    ])
    func loopbackEndpoints(_ endpoint: String) {
        #expect(Endpoint.isLoopbackOnly(endpoint))
    }

    @Test(arguments: [
        "tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.5:5555", "tcp://eth0:5555", "tcp://[::]:5555",
        "tcp://128.0.0.1:5555", "tcp://127.0.0.1;10.0.0.5:5555", "tcp://127.0.0.256:1", "tcp://127.1:5555",
        "tcp://localhost.example.com:5555", "udp://127.0.0.1:5555", "pgm://127.0.0.1:5555", "127.0.0.1:5555",
    ])
    func reachableEndpoints(_ endpoint: String) {
        #expect(!Endpoint.isLoopbackOnly(endpoint))
    }
}
