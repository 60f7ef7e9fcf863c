import OrchardTensor

/// Chooses each round's clients from the run's seeded streams, the same way in every process.
public struct ClientSampler: Sendable {
    public let seed: UInt64
    public let clients: ClientDirectory
    public let perRound: Int

    public init(seed: UInt64, clients: ClientDirectory, perRound: Int) {
        self.seed = seed
        self.clients = clients
        self.perRound = perRound
    }

    public init(seed: UInt64, profiles: [ClientProfile], perRound: Int) {
        self.init(seed: seed, clients: ClientDirectory(profiles: profiles), perRound: perRound)
    }

    /// The clients online in `round`: each is, with its availability, by its own draw.
    public func available(round: Int) -> [Int] {
        var online: [Int] = []
        for block in clients.blocks {
            // A client always online takes no draw, so a block of them is added whole.
            guard block.profile.availability < 1 else {
                online.append(contentsOf: block.ids)
                continue
            }
            for id in block.ids {
                var random = RandomStream(seed: seed, purpose: "availability", round, id)
                if random.nextDouble() < block.profile.availability { online.append(id) }
            }
        }
        return online
    }

    /// Up to `perRound` of the online clients, drawn without replacement, in increasing id order.
    public func sample(round: Int) -> [Int] {
        var online = available(round: round)
        guard online.count > perRound else { return online }
        var random = RandomStream(seed: seed, purpose: "sample", round)
        // A partial Fisher-Yates shuffle: the first perRound entries are a uniform sample.
        for index in 0..<perRound {
            let other = index + random.nextInt(below: online.count - index)
            online.swapAt(index, other)
        }
        return online[0..<perRound].sorted()
    }
}
