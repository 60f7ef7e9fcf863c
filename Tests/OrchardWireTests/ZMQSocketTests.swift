import Foundation
import OrchardTensor
import Synchronization
import Testing

@testable import OrchardWire

/// ROUTER/DEALER exchanges over real sockets, in process (inproc) and over TCP loopback.
@Suite("ZeroMQ sockets")
struct ZMQSocketTests {
    let codec = MessageCodec()

    /// A unique in-process endpoint, so tests running in parallel do not meet.
    static func inprocEndpoint(_ name: String) -> String { "inproc://\(name)-\(UUID().uuidString)" }

    /// A coordinator ROUTER bound to `endpoint` (a `*` port is resolved) and a client DEALER
    /// connected to it, both with a receive timeout so that a failing test cannot hang.
    static func pair(_ context: ZMQContext, endpoint: String, hostID: String = "host-a") throws
        -> (router: ZMQSocket, dealer: ZMQSocket)
    {
        let router = try ZMQSocket.coordinatorRouter(context: context)
        try router.bind(endpoint)
        let dealer = try ZMQSocket.clientDealer(context: context, hostID: hostID)
        try dealer.connect(try router.lastEndpoint())
        try router.setReceiveTimeout(milliseconds: 5000)
        try dealer.setReceiveTimeout(milliseconds: 5000)
        return (router, dealer)
    }

    /// Hello from the dealer, a task with tensors back from the router, a result with tensors.
    func exchange(endpoint: String, tensorShape: [Int]) throws {
        let context = try ZMQContext()
        let (router, dealer) = try Self.pair(context, endpoint: endpoint)
        let hello = Samples.everyKind()[0]
        try dealer.send(try codec.encode(hello))

        let received = try router.receiveMessage(frameLimit: codec.limits.receiveFrameLimit(routed: true))
        let (routingID, rest) = try #require(received.splittingRoutingID())
        #expect(routingID == Array("host-a".utf8))
        #expect(try codec.decode(rest).message == hello)

        let task = Samples.task(tensorShape: tensorShape, seed: 8)
        let encodedTask = try codec.encode(task)
        try router.send(encodedTask, to: routingID)
        let arrived = try dealer.receiveMessage(frameLimit: codec.limits.receiveFrameLimit(routed: false))
        #expect(arrived.frameCount == 2)
        #expect(arrived.totalByteCount == encodedTask.size.totalBytes)
        let decodedTask = try codec.decode(arrived)
        #expect(decodedTask.message == task)
        #expect(decodedTask.size == encodedTask.size)
        let weights = try decodedTask.message.tensors[0].tensor()
        #expect(Samples.bits(weights) == Samples.bits(try task.tensors[0].tensor()))

        // The client sends its updated weights back; the router sees the same routing id.
        weights[0] = 42
        let result = Message(
            runID: 1, round: 1, body: .result(TaskResult(taskID: 1, clientID: 2, metrics: ["loss": 0.5])),
            tensors: [TensorFrame(name: "w", tensor: weights)])
        try dealer.send(try codec.encode(result))
        let back = try router.receiveMessage()
        let (sender, frames) = try #require(back.splittingRoutingID())
        #expect(sender == routingID)
        let decodedResult = try codec.decode(frames).message
        #expect(decodedResult == result)
        #expect(try decodedResult.tensors[0].tensor()[0] == 42)
    }

    @Test func exchangeInProcess() throws {
        try exchange(endpoint: Self.inprocEndpoint("exchange"), tensorShape: [16, 8])
    }

    @Test func exchangeOverTCP() throws {
        // One million parameters, 4 MB: the zero-copy send and receive paths with a real model size.
        try exchange(endpoint: "tcp://127.0.0.1:*", tensorShape: [1000, 1000])
    }

    @Test func lastEndpointGivesTheEphemeralPort() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, kind: .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = try #require(Int(endpoint.split(separator: ":").last ?? ""))
        #expect(port > 0 && port < 65536)
    }

    @Test func oneEncodedMessageToManyPeers() throws {
        // The zero-copy send hands the same buffer to ZeroMQ once per peer.
        let context = try ZMQContext()
        let endpoint = Self.inprocEndpoint("fanout")
        let (router, first) = try Self.pair(context, endpoint: endpoint, hostID: "first")
        let second = try ZMQSocket.clientDealer(context: context, hostID: "second")
        try second.connect(endpoint)
        try second.setReceiveTimeout(milliseconds: 5000)
        for dealer in [first, second] { try dealer.send([[1]]) }
        var ids: [[UInt8]] = []
        for _ in 0..<2 { ids.append(try router.receiveMultipart()[0]) }
        let encoded = try codec.encode(Samples.task(tensorShape: [256, 4]))
        for id in ids { try router.send(encoded, to: id) }
        for dealer in [first, second] {
            #expect(try dealer.receiveMultipart() == encoded.byteArrays)
        }
    }

    @Test func pollWithTimeout() throws {
        let context = try ZMQContext()
        let (router, dealer) = try Self.pair(context, endpoint: Self.inprocEndpoint("poll"))
        var poller = ZMQPoller()
        let index = poller.register(router)
        let clock = ContinuousClock()
        let started = clock.now
        let idle = try poller.poll(timeout: .milliseconds(60))
        #expect(clock.now - started >= .milliseconds(50))
        #expect(idle == [[]])
        try dealer.send([[7, 7]])
        let ready = try poller.poll(timeout: .seconds(5))
        #expect(ready[index].contains(.readable))
        #expect(try router.receiveMultipart().last == [7, 7])
        #expect(try poller.poll(timeout: .zero) == [[]])
        #expect(ZMQPoller.milliseconds(.microseconds(1)) == 1)
        #expect(ZMQPoller.milliseconds(.seconds(-3)) == 0)
        #expect(ZMQPoller.milliseconds(.seconds(Int64.max)) == Int(Int32.max))
    }

    @Test func receiveTimeoutIsTheTimeoutCase() throws {
        let context = try ZMQContext()
        let (_, dealer) = try Self.pair(context, endpoint: Self.inprocEndpoint("timeout"))
        try dealer.setReceiveTimeout(milliseconds: 30)
        #expect(throws: ZMQError.timeout(operation: "zmq_msg_recv")) { try dealer.receiveMessage() }
        do {
            _ = try dealer.receiveMultipart(dontWait: true)
            Issue.record("received from an empty queue")
        } catch {
            #expect(error.code == EAGAIN)
            #expect(error.message.lowercased().contains("resource temporarily unavailable"))
        }
    }

    @Test func routerSendToUnknownPeerFails() throws {
        let context = try ZMQContext()
        let (router, _) = try Self.pair(context, endpoint: Self.inprocEndpoint("unknown"))
        #expect(throws: ZMQError.hostUnreachable(operation: "zmq_send")) {
            try router.send([Array("nobody".utf8), [1, 2, 3]])
        }
    }

    @Test func frameLimitCutsAnOverlongMessage() throws {
        let context = try ZMQContext()
        let (router, dealer) = try Self.pair(context, endpoint: Self.inprocEndpoint("frames"))
        try dealer.send((0..<10).map { [UInt8($0)] })
        let limits = DecodingLimits(maxFrames: 4)
        let message = try router.receiveMessage(frameLimit: limits.receiveFrameLimit(routed: true))
        #expect(message.frames.count == 5)
        #expect(message.discardedFrameCount == 6)
        #expect(message.frameCount == 11)
        let (_, rest) = try #require(message.splittingRoutingID())
        do {
            _ = try MessageCodec(limits: limits).decode(rest)
            Issue.record("an overlong message decoded")
        } catch {
            #expect(error.reason == .tooManyFrames(count: 10, limit: 4))
        }
        // A message within the codec's limit that lost frames to a lower receive limit is
        // rejected, not decoded without them.
        try dealer.send(try codec.encode(Samples.task(tensorShape: [2])))
        let cut = try #require(try router.receiveMessage(frameLimit: 2).splittingRoutingID()).rest
        do {
            _ = try codec.decode(cut)
            Issue.record("a message missing a frame decoded")
        } catch {
            #expect(error.reason == .tooManyFrames(count: 2, limit: 1))
        }
    }

    @Test func oversizedFrameIsRefusedByZeroMQ() throws {
        // ZMQ_MAXMSGSIZE from the limits: ZeroMQ drops the peer instead of receiving the frame.
        let context = try ZMQContext()
        let small = WireSocketSettings(limits: DecodingLimits(maxEnvelopeBytes: 1024, maxTensorBytes: 4096))
        let router = try ZMQSocket.coordinatorRouter(context: context, settings: small)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.maxMessageSize() == 4096)
        let dealer = try ZMQSocket.clientDealer(context: context, hostID: "big")
        try dealer.connect(try router.lastEndpoint())
        try dealer.send([[UInt8](repeating: 1, count: 10_000)])
        var poller = ZMQPoller()
        poller.register(router)
        #expect(try poller.poll(timeout: .milliseconds(300)) == [[]])
        // The connection itself works: ZeroMQ dropped the peer, the dealer reconnected, and the
        // next, small message arrives while the large one is gone.
        try dealer.send([[2]])
        try router.setReceiveTimeout(milliseconds: 5000)
        #expect(try router.receiveMultipart() == [Array("big".utf8), [2]])
    }

    @Test func options() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, kind: .dealer)
        #expect(try socket.linger() == 0)
        try socket.setLinger(milliseconds: 250)
        #expect(try socket.linger() == 250)
        try socket.setSendHighWaterMark(17)
        try socket.setReceiveHighWaterMark(19)
        #expect(try socket.sendHighWaterMark() == 17)
        #expect(try socket.receiveHighWaterMark() == 19)
        try socket.setReceiveTimeout(milliseconds: 123)
        try socket.setSendTimeout(milliseconds: 321)
        #expect(try socket.receiveTimeout() == 123)
        #expect(try socket.sendTimeout() == 321)
        try socket.setRoutingID(Array("node-7".utf8))
        #expect(try socket.routingID() == Array("node-7".utf8))
        try socket.setMaxMessageSize(1 << 20)
        #expect(try socket.maxMessageSize() == 1 << 20)
        #expect(throws: ZMQError.self) { try socket.setRoutingID([]) }
        #expect(throws: ZMQError.self) { try socket.setRoutingID([UInt8](repeating: 1, count: 256)) }
        #expect(throws: ZMQError.self) { try ZMQSocket.clientDealer(context: context, hostID: "") }
        #expect(throws: ZMQError.self) { try ZMQSocket.clientDealer(context: context, hostID: "\u{0}x") }
        let configured = try ZMQSocket.clientDealer(context: context, hostID: "h")
        #expect(try configured.sendHighWaterMark() == 1000)
        #expect(try configured.maxMessageSize() == Int64(DecodingLimits.standard.maxFrameBytes))
    }

    @Test func closedSocketFailsCleanly() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, kind: .dealer)
        socket.close()
        socket.close()
        #expect(socket.isClosed)
        #expect(throws: ZMQError.failed(code: ENOTSOCK, operation: "zmq_connect(inproc://x)")) {
            try socket.connect("inproc://x")
        }
        #expect(throws: ZMQError.self) { try socket.receiveMessage(dontWait: true) }
    }

    @Test func closingWithUnsentMessagesDoesNotHang() throws {
        // Messages queued for a peer that never answers would block zmq_ctx_term forever with
        // ZeroMQ's default linger; with linger 0 the sockets and the context go at once.
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let context = try ZMQContext()
            let dealer = try ZMQSocket.clientDealer(context: context, hostID: "lonely")
            try dealer.connect("tcp://127.0.0.1:9")  // the discard port: nobody listens
            for _ in 0..<10 { try dealer.send(try codec.encode(Samples.task(tensorShape: [64])), dontWait: true) }
            let router = try ZMQSocket.coordinatorRouter(context: context)
            try router.bind(Self.inprocEndpoint("term"))
            _ = (dealer, router)
        }
        #expect(clock.now - started < .seconds(2))
    }

    @Test func contextShutdownWakesABlockedReceiver() throws {
        let context = try ZMQContext()
        let endpoint = Self.inprocEndpoint("shutdown")
        let bound = try ZMQSocket(context: context, kind: .router)
        try bound.bind(endpoint)
        let outcome = Mutex<ZMQError?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            do throws(ZMQError) {
                let socket = try ZMQSocket(context: context, kind: .dealer)
                try socket.connect(endpoint)
                _ = try socket.receiveMessage()  // blocks: nobody sends
            } catch {
                outcome.withLock { $0 = error }
            }
            finished.signal()
        }
        thread.start()
        Thread.sleep(forTimeInterval: 0.1)
        context.shutdown()
        #expect(finished.wait(timeout: .now() + 5) == .success)
        #expect(outcome.withLock { $0 } == .terminated(operation: "zmq_msg_recv"))
        bound.close()
    }

    @Test func libraryVersion() {
        let version = ZMQContext.libraryVersion
        #expect(version.major == 4)
        #expect(version.minor >= 2)
    }
}
