import Foundation
import OrchardFederation
import OrchardTensor
import OrchardWire
import Synchronization
import Testing

/// A peer written from the protocol alone, that does what a stray or hostile program might.
///
/// Its socket lives on the thread that made it; the test's attack closure runs there.
final class HostilePeer {
    let codec = MessageCodec()
    let context: ZMQContext
    let socket: ZMQSocket
    let routingID: String

    init(endpoint: String, routingID: String) throws {
        self.routingID = routingID
        context = try ZMQContext()
        socket = try ZMQSocket.clientDealer(context: context, hostID: routingID)
        try socket.connect(endpoint)
    }

    /// Says hello as `hostID` (its routing id unless told otherwise) for `clients`.
    func hello(clients: [UInt32], hostID: String? = nil) throws {
        let capabilities = clients.map { ClientCapabilities(clientID: $0) }
        try send(Message(body: .hello(Hello(hostID: hostID ?? routingID, clients: capabilities))))
    }

    func send(_ message: Message) throws { try socket.send(try codec.encode(message), to: nil) }

    /// The next message within `timeout`, if one decodes.
    func receive(timeout: Duration) throws -> Message? {
        var poller = ZMQPoller()
        _ = poller.register(socket)
        guard try poller.poll(timeout: timeout).first?.contains(.readable) == true else { return nil }
        return try? codec.decode(try socket.receiveMessage()).message
    }

    /// Receives until `stop` is set, handing each task to `answer`, and returns the error codes it was sent.
    func serve(until stop: StopFlag, answer: (Message, TaskAssignment) throws -> Message?) throws -> [ErrorCode] {
        var codes: [ErrorCode] = []
        while !stop.isSet {
            guard let message = try receive(timeout: .milliseconds(50)) else { continue }
            switch message.body {
            case .task(let task):
                if let reply = try answer(message, task) { try send(reply) }
            case .error(let report):
                codes.append(report.code)
            case .shutdown:
                return codes
            default:
                continue
            }
        }
        return codes
    }
}

/// Ways to spoil the answer to a FedAvg task whose tensors came dense.
enum Poison: String, CaseIterable, CustomTestStringConvertible {
    case nanWeights, hugeWeights, transposed, missingTensor, wrongCount, extraTensor
    case nanSamples, infiniteFLOPs, hugePeak, zeroSamples, negativeSamples, tooManySamples, negativeFLOPs
    case divergedLoss, wrongRun, wrongRound, wrongClient

    var testDescription: String { rawValue }

    /// The poisoned result message for `task`.
    func result(for message: Message, task: TaskAssignment) throws -> Message {
        var tensors = try message.tensors.map { frame in
            NamedTensor(name: frame.name, tensor: try frame.tensor(role: .data))
        }
        var metrics: [String: Double] = ["samples": 10, "loss": 1, "flops": 100]
        var (runID, round, client) = (message.runID, message.round, task.clientID)
        func replaceFirst(_ make: (Tensor) -> Tensor) throws {
            tensors[0] = NamedTensor(name: tensors[0].name, tensor: make(try tensors[0].denseTensor()))
        }
        switch self {
        case .nanWeights: try replaceFirst { Tensor(shape: $0.shape, values: $0.values.map { _ in .nan }) }
        case .hugeWeights: try replaceFirst { Tensor(shape: $0.shape, values: $0.values.map { _ in 3e38 }) }
        case .transposed: try replaceFirst { Tensor(shape: $0.shape.reversed(), values: $0.values) }
        case .missingTensor: tensors.removeFirst()
        case .wrongCount: try replaceFirst { Tensor(shape: [$0.count - 1], values: Array($0.values.dropLast())) }
        case .extraTensor: tensors.append(NamedTensor(name: "backdoor.weight", tensor: Tensor(zeros: [4])))
        case .nanSamples: metrics["samples"] = .nan
        case .infiniteFLOPs: metrics["flops"] = .infinity
        case .hugePeak: metrics["peak_memory_bytes"] = 1e300
        case .zeroSamples: metrics["samples"] = 0
        case .negativeSamples: metrics["samples"] = -5
        case .tooManySamples: metrics["samples"] = 1e9
        case .negativeFLOPs: metrics["flops"] = -1
        case .divergedLoss: metrics["loss"] = .nan
        case .wrongRun: runID += 7
        case .wrongRound: round += 1
        case .wrongClient: client += 1
        }
        let body = TaskResult(taskID: task.taskID, clientID: client, status: .ok, metrics: metrics)
        let frames = try tensors.map { try TensorFrame(name: $0.name, payload: $0.payload) }
        return Message(runID: runID, round: round, body: .result(body), tensors: frames)
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() { value.store(true, ordering: .relaxed) }
}
