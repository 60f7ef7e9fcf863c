/// The rules on field values that protobuf's types cannot state, checked on both sides: before
/// encoding, so that nothing invalid is sent, and after decoding, so that nothing invalid is used.
/// Field paths name the fields of `Protos/orchard.proto`, so a peer in any language can read them.
extension Message {
    func validate() throws(WireError) {
        switch body {
        case .hello(let hello): try hello.validate()
        case .welcome(let welcome): try welcome.validate()
        case .task(let task):
            try require(!task.kind.rawValue.isEmpty, "task.task_kind", "must not be empty")
        case .result(let result):
            try require(
                result.status == .ok || !result.reason.isEmpty, "result.reason",
                "must say why a task was \(result.status == .refused ? "refused" : "not completed")")
        case .heartbeat(let heartbeat): try validateHostID(heartbeat.hostID, field: "heartbeat.host_id")
        case .error, .shutdown: break
        }
        try validateTensors()
    }

    private func validateTensors() throws(WireError) {
        guard !tensors.isEmpty else { return }
        try require(kind.carriesTensors, "tensors", "a \(kind) message carries no tensors")
        var names = Set<String>()
        for (index, tensor) in tensors.enumerated() {
            try require(!tensor.name.isEmpty, "tensors[\(index)].name", "must not be empty")
            try require(
                names.insert(tensor.name).inserted, "tensors[\(index)].name",
                "'\(MessageCodec.clipped(tensor.name))' appears twice")
        }
    }
}

extension Hello {
    fileprivate func validate() throws(WireError) {
        try validateHostID(hostID, field: "hello.host_id")
        try require(!clientRanges.isEmpty, "hello.client_ranges", "a host must serve at least one client")
        try validateRanges(clientRanges, field: "hello.client_ranges")
        var seen = Set<UInt32>()
        for (index, client) in clients.enumerated() {
            let field = "hello.clients[\(index)]"
            try require(
                seen.insert(client.clientID).inserted, "\(field).client_id",
                "client \(client.clientID) appears twice")
            try require(
                Self.contains(clientRanges, client.clientID), "\(field).client_id",
                "client \(client.clientID) is not in hello.client_ranges")
            let figures = [
                ("compute_flops_per_second", client.computeFLOPsPerSecond),
                ("uplink_bits_per_second", client.uplinkBitsPerSecond),
                ("downlink_bits_per_second", client.downlinkBitsPerSecond),
                ("latency_seconds", client.latencySeconds),
            ]
            for (name, value) in figures {
                try require(value.isFinite && value >= 0, "\(field).\(name)", "\(value) is not a finite figure >= 0")
            }
        }
    }

    /// Whether sorted, disjoint `ranges` hold `id`.
    static func contains(_ ranges: [ClosedRange<UInt32>], _ id: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound <= id { low = middle + 1 } else { high = middle }
        }
        return low > 0 && ranges[low - 1].contains(id)
    }
}

extension Welcome {
    fileprivate func validate() throws(WireError) {
        try require(heartbeatIntervalMilliseconds >= 1, "welcome.heartbeat_interval_ms", "must be at least 1")
        try require(heartbeatLiveness >= 1, "welcome.heartbeat_liveness", "must be at least 1")
        try validateRanges(acceptedClientRanges, field: "welcome.accepted_client_ranges")
    }
}

/// Checks that ranges of client ids are sorted and disjoint, so that no client is named twice.
private func validateRanges(_ ranges: [ClosedRange<UInt32>], field: String) throws(WireError) {
    for (index, (earlier, later)) in zip(ranges, ranges.dropFirst()).enumerated() {
        try require(
            later.lowerBound > earlier.upperBound, "\(field)[\(index + 1)]",
            "\(later.lowerBound)-\(later.upperBound) does not come after \(earlier.lowerBound)-\(earlier.upperBound): "
                + "the ranges must be sorted and must not overlap")
    }
}

/// Checks a host id, which doubles as a ZeroMQ routing id: 1 to 255 bytes, no leading zero byte
/// (ZeroMQ reserves those for the ids it generates itself).
private func validateHostID(_ hostID: String, field: String) throws(WireError) {
    let bytes = hostID.utf8
    try require(!bytes.isEmpty, field, "must not be empty")
    try require(bytes.count <= 255, field, "\(bytes.count) bytes, more than 255")
    try require(bytes.first != 0, field, "must not start with a zero byte")
}

private func require(_ condition: Bool, _ field: String, _ problem: @autoclosure () -> String)
    throws(WireError)
{
    if !condition { throw WireError(.invalidField(field: field, problem: problem())) }
}
