import OrchardData
import OrchardTensor

/// A client's shard cut in two: the samples it trains on and the samples held out to evaluate
/// its own (personalized) model.
///
/// The cut depends only on the run seed, the client's id, the shard's size and the fraction, so
/// every task of a client, on any host, holds out the same samples: the first
/// `max(1, ⌊count · fraction⌋)` of a permutation drawn from (seed, "personal-split", client),
/// at most `count - 1` so that at least one sample is left to train on.
public struct PersonalSplit: Sendable {
    /// The share of each shard held out when a method does not set its own.
    public static let defaultFraction = 0.2

    /// The samples the client trains on.
    public let train: Dataset
    /// The samples that evaluate the client's model.
    public let heldOut: Dataset

    /// Splits `data`, the shard of client `client`, holding out `fraction` of it.
    /// - Throws: `FederationError` for a fraction outside (0, 1) or a shard of fewer than two samples.
    public init(_ data: Dataset, fraction: Double, seed: UInt64, client: Int) throws {
        let held = try Self.heldOutIndices(count: data.count, fraction: fraction, seed: seed, client: client)
        let heldSet = Set(held)
        heldOut = data.subset(held)
        train = data.subset((0..<data.count).filter { !heldSet.contains($0) })
    }

    /// The positions of the shard held out, ascending.
    public static func heldOutIndices(count: Int, fraction: Double, seed: UInt64, client: Int) throws -> [Int] {
        guard fraction > 0 && fraction < 1 else {
            throw FederationError("the held-out fraction must be in (0, 1), got \(fraction)")
        }
        guard count >= 2 else {
            throw FederationError(
                "client \(client) has \(count) sample(s); a personal split needs at least 2 (one to train, one held out)"
            )
        }
        // fraction < 1 and count < 2^53, so the product is finite and below count.
        let size = min(count - 1, max(1, Int((Double(count) * fraction).rounded(.down))))
        var random = RandomStream(seed: seed, purpose: "personal-split", client)
        return Array(random.permutation(count).prefix(size)).sorted()
    }
}
