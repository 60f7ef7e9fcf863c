/// Wall time and FLOPs per layer, accumulated over the steps during which it is attached.
///
/// `Network.profile` attaches one to every chain of the network; each named entry of a chain is
/// timed as a whole (a residual block is one entry, its convolutions are not split out).
public final class LayerProfile {
    /// The totals of one layer.
    public struct Entry: Sendable {
        public var name: String
        public var forwardSeconds: Double = 0
        public var backwardSeconds: Double = 0
        public var flops = FLOPCount.zero
    }

    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    private let clock = ContinuousClock()

    public init() {}

    func time<T>(_ name: String, forward: Bool, _ body: () -> T, flops: () -> FLOPCount) -> T {
        let start = clock.now
        let result = body()
        let seconds = (clock.now - start).inSeconds
        let position =
            index[name]
            ?? {
                entries.append(Entry(name: name))
                index[name] = entries.count - 1
                return entries.count - 1
            }()
        if forward {
            entries[position].forwardSeconds += seconds
            entries[position].flops.forward += flops().forward
        } else {
            entries[position].backwardSeconds += seconds
            entries[position].flops.backward += flops().backward
        }
        return result
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
