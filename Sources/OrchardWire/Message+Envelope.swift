// Conversions between the Swift message types and the generated protobuf types, which stay
// internal so that the rest of Orchard never depends on SwiftProtobuf.

typealias WireEnvelope = Orchard_Wire_V1_Envelope

/// A 32-bit enum number as protobuf carries it: an int32, so numbers past Int32.max travel as
/// negative values and come back, through `UInt32(truncatingIfNeeded:)`, as they were.
func wireEnumValue(_ raw: UInt32) -> Int { Int(Int32(bitPattern: raw)) }

extension Message {
    /// The envelope that describes this message; its tensors travel as frames after it.
    func envelope() -> WireEnvelope {
        var envelope = WireEnvelope()
        envelope.version = ProtocolVersion.current
        envelope.kind = Orchard_Wire_V1_Kind(rawValue: Int(kind.rawValue)) ?? .unspecified
        envelope.runID = runID
        envelope.round = round
        switch body {
        case .hello(let hello): envelope.hello = hello.wire
        case .welcome(let welcome): envelope.welcome = welcome.wire
        case .task(let task): envelope.task = task.wire
        case .result(let result): envelope.result = result.wire
        case .heartbeat(let heartbeat): envelope.heartbeat = heartbeat.wire
        case .error(let report): envelope.error = report.wire
        case .shutdown(let shutdown): envelope.shutdown = shutdown.wire
        }
        envelope.tensors = tensors.map { tensor in
            var descriptor = Orchard_Wire_V1_TensorDescriptor()
            descriptor.name = tensor.name
            descriptor.shape = tensor.shape.map { UInt64($0) }
            descriptor.encoding =
                Orchard_Wire_V1_TensorEncoding(rawValue: Int(tensor.encoding.rawValue)) ?? .unspecified
            descriptor.byteLength = UInt64(tensor.byteLength)
            // The frame's initialisers keep the round within 0...UInt32.max.
            descriptor.sinceRound = UInt32(tensor.sinceRound ?? 0)
            descriptor.maskDigest = tensor.maskDigest ?? 0
            return descriptor
        }
        return envelope
    }

    /// The message an envelope of a known kind describes, with its already checked tensors.
    init(envelope: WireEnvelope, kind: MessageKind, tensors: [TensorFrame]) throws(WireError) {
        let body: MessageBody
        switch (kind, envelope.body) {
        case (.hello, .hello(let hello)?): body = .hello(try Hello(wire: hello))
        case (.welcome, .welcome(let welcome)?): body = .welcome(try Welcome(wire: welcome))
        case (.task, .task(let task)?): body = .task(TaskAssignment(wire: task))
        case (.result, .result(let result)?): body = .result(try TaskResult(wire: result))
        case (.heartbeat, .heartbeat(let heartbeat)?): body = .heartbeat(Heartbeat(wire: heartbeat))
        case (.error, .error(let report)?): body = .error(ErrorReport(wire: report))
        case (.shutdown, .shutdown(let shutdown)?): body = .shutdown(Shutdown(reason: shutdown.reason))
        case (_, let other): throw WireError(.bodyMismatch(kind: kind, body: Self.caseName(other)))
        }
        self.init(runID: envelope.runID, round: envelope.round, body: body, tensors: tensors)
    }

    private static func caseName(_ body: WireEnvelope.OneOf_Body?) -> String {
        switch body {
        case nil: "no"
        case .hello: "a hello"
        case .welcome: "a welcome"
        case .task: "a task"
        case .result: "a result"
        case .heartbeat: "a heartbeat"
        case .error: "an error"
        case .shutdown: "a shutdown"
        }
    }
}

extension Hello {
    var wire: Orchard_Wire_V1_Hello {
        var wire = Orchard_Wire_V1_Hello()
        wire.hostID = hostID
        wire.softwareVersion = softwareVersion
        wire.instance = instance
        wire.clientRanges = clientRanges.map(Orchard_Wire_V1_ClientRange.init)
        wire.clients = clients.map { client in
            var capabilities = Orchard_Wire_V1_ClientCapabilities()
            capabilities.clientID = client.clientID
            capabilities.memoryBudgetBytes = client.memoryBudgetBytes
            capabilities.computeFlopsPerSecond = client.computeFLOPsPerSecond
            capabilities.uplinkBitsPerSecond = client.uplinkBitsPerSecond
            capabilities.downlinkBitsPerSecond = client.downlinkBitsPerSecond
            capabilities.latencySeconds = client.latencySeconds
            capabilities.extra = client.extra
            return capabilities
        }
        return wire
    }

    init(wire: Orchard_Wire_V1_Hello) throws(WireError) {
        let clients = wire.clients.map { client in
            ClientCapabilities(
                clientID: client.clientID, memoryBudgetBytes: client.memoryBudgetBytes,
                computeFLOPsPerSecond: client.computeFlopsPerSecond,
                uplinkBitsPerSecond: client.uplinkBitsPerSecond,
                downlinkBitsPerSecond: client.downlinkBitsPerSecond,
                latencySeconds: client.latencySeconds, extra: client.extra)
        }
        self.init(
            hostID: wire.hostID, clientRanges: try Self.ranges(wire.clientRanges, field: "hello.client_ranges"),
            clients: clients,
            softwareVersion: wire.softwareVersion, instance: wire.instance)
    }
}

extension Orchard_Wire_V1_ClientRange {
    init(_ range: ClosedRange<UInt32>) {
        self.init()
        first = range.lowerBound
        last = range.upperBound
    }
}

extension Hello {
    /// The ranges of a hello or welcome; one whose last id comes before its first is refused.
    static func ranges(_ wire: [Orchard_Wire_V1_ClientRange], field: String) throws(WireError)
        -> [ClosedRange<UInt32>]
    {
        var ranges: [ClosedRange<UInt32>] = []
        ranges.reserveCapacity(wire.count)
        for (index, range) in wire.enumerated() {
            guard range.first <= range.last else {
                throw WireError(
                    .invalidField(
                        field: "\(field)[\(index)]", problem: "last \(range.last) comes before first \(range.first)"))
            }
            ranges.append(range.first...range.last)
        }
        return ranges
    }
}

extension Welcome {
    var wire: Orchard_Wire_V1_Welcome {
        var wire = Orchard_Wire_V1_Welcome()
        wire.topologyName = topologyName
        wire.seed = seed
        wire.acceptedClientRanges = acceptedClientRanges.map(Orchard_Wire_V1_ClientRange.init)
        wire.heartbeatIntervalMs = heartbeatIntervalMilliseconds
        wire.heartbeatLiveness = heartbeatLiveness
        wire.settings = settings
        return wire
    }

    init(wire: Orchard_Wire_V1_Welcome) throws(WireError) {
        self.init(
            topologyName: wire.topologyName, seed: wire.seed,
            acceptedClientRanges: try Hello.ranges(wire.acceptedClientRanges, field: "welcome.accepted_client_ranges"),
            heartbeatIntervalMilliseconds: wire.heartbeatIntervalMs, heartbeatLiveness: wire.heartbeatLiveness,
            settings: wire.settings)
    }
}

extension TaskAssignment {
    var wire: Orchard_Wire_V1_Task {
        var wire = Orchard_Wire_V1_Task()
        wire.taskID = taskID
        wire.clientID = clientID
        wire.taskKind = kind.rawValue
        wire.model = model
        wire.hyperparameters = hyperparameters
        wire.settings = settings
        wire.timeoutMs = timeoutMilliseconds
        return wire
    }

    init(wire: Orchard_Wire_V1_Task) {
        self.init(
            taskID: wire.taskID, clientID: wire.clientID, kind: TaskKind(rawValue: wire.taskKind),
            model: wire.model, hyperparameters: wire.hyperparameters, settings: wire.settings,
            timeoutMilliseconds: wire.timeoutMs)
    }
}

extension TaskResult {
    var wire: Orchard_Wire_V1_Result {
        var wire = Orchard_Wire_V1_Result()
        wire.taskID = taskID
        wire.clientID = clientID
        wire.status = Orchard_Wire_V1_ResultStatus(rawValue: Int(status.rawValue)) ?? .unspecified
        wire.reason = reason
        wire.metrics = metrics
        return wire
    }

    init(wire: Orchard_Wire_V1_Result) throws(WireError) {
        let raw = UInt32(truncatingIfNeeded: wire.status.rawValue)
        guard let status = ResultStatus(rawValue: raw) else {
            throw WireError(.invalidField(field: "result.status", problem: "unknown status \(raw)"))
        }
        self.init(
            taskID: wire.taskID, clientID: wire.clientID, status: status, reason: wire.reason,
            metrics: wire.metrics)
    }
}

extension Heartbeat {
    var wire: Orchard_Wire_V1_Heartbeat {
        var wire = Orchard_Wire_V1_Heartbeat()
        wire.hostID = hostID
        wire.sequence = sequence
        wire.sentUnixNanos = sentUnixNanoseconds
        return wire
    }

    init(wire: Orchard_Wire_V1_Heartbeat) {
        self.init(hostID: wire.hostID, sequence: wire.sequence, sentUnixNanoseconds: wire.sentUnixNanos)
    }
}

extension ErrorReport {
    var wire: Orchard_Wire_V1_Error {
        var wire = Orchard_Wire_V1_Error()
        wire.code = Orchard_Wire_V1_ErrorCode(rawValue: wireEnumValue(code.rawValue)) ?? .unspecified
        wire.message = message
        wire.offendingKind = Orchard_Wire_V1_Kind(rawValue: wireEnumValue(offendingKind)) ?? .unspecified
        return wire
    }

    init(wire: Orchard_Wire_V1_Error) {
        self.init(
            code: ErrorCode(rawValue: UInt32(truncatingIfNeeded: wire.code.rawValue)), message: wire.message,
            offendingKind: UInt32(truncatingIfNeeded: wire.offendingKind.rawValue))
    }
}

extension Shutdown {
    var wire: Orchard_Wire_V1_Shutdown {
        var wire = Orchard_Wire_V1_Shutdown()
        wire.reason = reason
        return wire
    }
}
