import Foundation
import InMemoryLogging
import Logging
import OrchardData
import OrchardFederation
import OrchardWire
import Synchronization
import Testing

@testable import OrchardRuntime

@Suite("Client host log")
struct ClientHostLogTests {
    static let setup = MethodSetup(
        seed: 1, model: "logreg", sampleShape: [1, 28, 28], classes: 10, training: LocalTraining())

    @Test func anErrorTheCoordinatorReportsIsAWarningNamingTheHost() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket.coordinatorRouter(context: context)
        try router.setReceiveTimeout(milliseconds: 60_000)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        var handler = InMemoryLogHandler()
        handler.logLevel = .debug
        let capture = handler
        let finished = Mutex<Result<Void, any Error>?>(nil)
        let thread = Thread {
            let outcome = Result {
                var settings = ClientHost.Settings(endpoint: endpoint, hostID: "logged-host")
                settings.logger = Logger(label: "test.host") { _ in capture }
                let data = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 4, testCount: 1, seed: 1).train
                let host = try ClientHost(
                    settings: settings, clients: try HostClients([LocalClient(id: 0, data: data)]),
                    method: try FedAvgClient(setup: Self.setup))
                try host.run()
            }
            finished.withLock { $0 = outcome }
        }
        thread.start()

        let hello = try router.receiveMultipart()  // the hello: the host is connected
        #expect(hello.first == Array("logged-host".utf8), "\(finished.withLock { $0 }.map { "\($0)" } ?? "running")")
        let codec = MessageCodec()
        let address = Array("logged-host".utf8)
        let report = ErrorReport(code: .unknownClient, message: "no such client 7")
        try router.send(try codec.encode(Message(body: .error(report))), to: address)
        try router.send(try codec.encode(Message(body: .shutdown(Shutdown(reason: "test over")))), to: address)
        let deadline = ContinuousClock.now + .seconds(60)
        while finished.withLock({ $0 == nil }) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }

        let outcome = finished.withLock { $0 }
        #expect(outcome != nil, "the host did not stop on shutdown")
        #expect(throws: Never.self) { try outcome?.get() }
        let entries = handler.entries
        let warnings = entries.filter { $0.level == .warning }
        #expect(warnings.count == 1, "\(entries)")
        #expect(warnings.first.map { "\($0.message)".contains("no such client 7") } == true, "\(entries)")
        #expect(warnings.first?.metadata["host"] == "logged-host")
        #expect(entries.contains { $0.level == .debug && "\($0.message)".contains("connecting to \(endpoint)") })
    }
}
