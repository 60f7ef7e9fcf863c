import OrchardNN
import OrchardPayload
import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

extension HideNseekServer {
    /// FedPM's Bayesian aggregation of the clients' drawn masks: count the ones per position since
    /// the last prior reset, and score each position by the logit of the posterior mode.
    func aggregateMasks(round: Int, _ results: [ClientResult]) throws {
        if (round - 1) % settings.priorReset == 0 || draws == 0 {
            for index in ones.indices { ones[index] = [Float](repeating: 0, count: ones[index].count) }
            draws = 0
        }
        for result in results {
            for (index, name) in names.enumerated() {
                let indices = try maskIndices(result, name: Self.maskName(name), count: ones[index].count)
                for position in indices { ones[index][Int(position)] += 1 }
            }
            draws += 1
        }
        for index in names.indices {
            scores[index] = ones[index].map { Self.logit(Double($0) / Double(draws)) }
        }
    }

    /// The sample-weighted mean of the clients' scores (top-k) or of their probabilities (Bernoulli).
    func aggregateScores(round: Int, _ results: [ClientResult]) throws {
        let weights = try results.map { result -> Double in
            guard let samples = result.metrics["samples"], samples > 0 else {
                throw FederationError(
                    "the train result of client \(result.client) in round \(round) reports no samples")
            }
            return samples
        }
        let total = weights.reduce(0, +)
        let probabilities = settings.sampling == .bernoulli
        for (index, name) in names.enumerated() {
            var sum = [Double](repeating: 0, count: scores[index].count)
            for (result, weight) in zip(results, weights) {
                let values = try scoreValues(result, name: Self.scoresName(name), count: sum.count)
                for position in sum.indices {
                    let value = probabilities ? Double(Self.sigmoid(values[position])) : Double(values[position])
                    sum[position] += weight * value
                }
            }
            scores[index] = sum.map { probabilities ? Self.logit($0 / total) : Float($0 / total) }
        }
    }

    /// The positions of a client's mask upload.
    private func maskIndices(_ result: ClientResult, name: String, count: Int) throws -> [Int32] {
        guard let tensor = result.tensors.first(where: { $0.name == name }),
            case .mask(let shape, let indices) = tensor.payload, shape.reduce(1, *) == count,
            indices.allSatisfy({ $0 >= 0 && Int($0) < count })
        else {
            throw FederationError("client \(result.client) sent no mask '\(name)' of \(count) positions")
        }
        return indices
    }

    /// The values of a client's score upload.
    private func scoreValues(_ result: ClientResult, name: String, count: Int) throws -> [Float] {
        guard let tensor = result.tensors.first(where: { $0.name == name }), tensor.hasValues,
            tensor.shape.reduce(1, *) == count
        else {
            throw FederationError("client \(result.client) sent no scores '\(name)' of \(count) values")
        }
        return try tensor.denseTensor().values
    }

    /// logit(p) with p kept within the probability floor and its complement.
    static func logit(_ probability: Double) -> Float {
        let floor = HideNseekSettings.probabilityFloor
        let clamped = min(max(probability, floor), 1 - floor)
        return Float(log(clamped / (1 - clamped)))
    }

    static func sigmoid(_ value: Float) -> Float { 1 / (1 + expf(-value)) }
}

extension HideNseekServer {
    /// The scores and the counts since the last prior reset; the global model's values and masks
    /// follow from them and the seed.
    ///
    /// Layout, little-endian: the draws (UInt32), then per weight in the network's order its name
    /// (UTF-8 length as UInt32, bytes), its value count (UInt32), its scores and its ones counts
    /// (binary32 bit patterns as UInt32).
    public func checkpointExtra() -> [UInt8]? {
        var writer = ArchiveWriter()
        writer.word(UInt32(draws))
        for (index, name) in names.enumerated() {
            writer.text(name)
            writer.word(UInt32(scores[index].count))
            for value in scores[index] { writer.word(value.bitPattern) }
            for value in ones[index] { writer.word(value.bitPattern) }
        }
        return writer.bytes
    }

    public func restore(checkpointExtra: [UInt8]?) throws {
        guard let checkpointExtra else {
            throw FederationError("a hidenseek checkpoint holds the scores, and this one holds none")
        }
        var reader = ArchiveReader(bytes: checkpointExtra, what: "a hidenseek checkpoint's scores")
        let restoredDraws = Int(try reader.word())
        var restoredScores: [[Float]] = []
        var restoredOnes: [[Float]] = []
        for (index, name) in names.enumerated() {
            let stored = try reader.text()
            let count = Int(try reader.word())
            guard stored == name, count == scores[index].count else {
                throw FederationError(
                    "the checkpoint's scores are of '\(stored)' (\(count) values), the model's weight \(index) is "
                        + "'\(name)' (\(scores[index].count))")
            }
            restoredScores.append(try Self.floats(&reader, count: count))
            restoredOnes.append(try Self.floats(&reader, count: count))
        }
        try reader.finish()
        guard restoredScores.allSatisfy({ $0.allSatisfy(\.isFinite) }),
            restoredOnes.allSatisfy({ $0.allSatisfy { $0 >= 0 && $0 <= Float(restoredDraws) } })
        else {
            throw FederationError("the checkpoint's hidenseek scores or counts are out of range")
        }
        (draws, scores, ones) = (restoredDraws, restoredScores, restoredOnes)
        try applyGlobalMasks()
    }

    private static func floats(_ reader: inout ArchiveReader, count: Int) throws -> [Float] {
        let bytes = try reader.take(count * 4)
        return (0..<count).map { index in
            Float(bitPattern: (0..<4).reduce(0) { $0 | UInt32(bytes[index * 4 + $1]) << (8 * UInt32($1)) })
        }
    }
}
