#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// A seeded pseudo-random stream (xoshiro256**), reproducible on every machine and Swift version.
///
/// Every random choice in Orchard draws from a stream derived from the run seed and a purpose
/// (`RandomStream(seed: 7, purpose: "init")`, `RandomStream(seed: 7, purpose: "sample", 3, 12)`), so
/// that adding a draw for one purpose never shifts the draws of another. The bounded-integer,
/// shuffle, normal and gamma samplers are written here rather than taken from the standard library,
/// whose algorithms may change between releases.
public struct RandomStream: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    /// Creates a stream from a 64-bit seed, expanded with SplitMix64.
    public init(seed: UInt64) {
        var mixer = seed
        state = (
            Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer)
        )
    }

    /// Creates the stream for one purpose (and optional indices such as client and round) of a run.
    public init(seed: UInt64, purpose: String, _ indices: Int...) {
        self.init(seed: Self.derive(seed: seed, purpose: purpose, indices: indices))
    }

    /// A child stream for a sub-purpose, independent of this stream's future draws.
    public func derived(_ purpose: String, _ indices: Int...) -> RandomStream {
        RandomStream(seed: Self.derive(seed: state.0 ^ state.2, purpose: purpose, indices: indices))
    }

    /// Hashes a seed, a purpose and indices into a new seed (FNV-1a over the bytes, then mixed).
    public static func derive(seed: UInt64, purpose: String, indices: [Int]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func absorb(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        for shift in stride(from: 0, to: 64, by: 8) { absorb(UInt8(truncatingIfNeeded: seed >> shift)) }
        for byte in purpose.utf8 { absorb(byte) }
        for index in indices {
            absorb(0xff)
            for shift in stride(from: 0, to: 64, by: 8) {
                absorb(UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(index)) >> shift))
            }
        }
        var mixer = hash
        return splitMix(&mixer)
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9e37_79b9_7f4a_7c15
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform integer in `0..<bound` (Lemire's nearly-divisionless method, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform float in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// A standard normal sample (Box-Muller; the second value of each pair is kept for the next call).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = 1.0 - nextDouble()  // in (0, 1], so the logarithm is finite
        let u2 = nextDouble()
        let radius = (-2.0 * log(u1)).squareRoot()
        let angle = 2.0 * Double.pi * u2
        spareNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// A Gamma(shape, 1) sample (Marsaglia and Tsang; shapes below 1 use the boost U^(1/shape)).
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0, "nextGamma needs a positive shape")
        if shape < 1 {
            let boost = pow(1.0 - nextDouble(), 1.0 / shape)
            return nextGamma(shape: shape + 1) * boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = nextNormal()
                v = 1.0 + c * x
            } while v <= 0
            v = v * v * v
            let u = 1.0 - nextDouble()
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// A Dirichlet(alpha, ..., alpha) sample of the given dimension.
    public mutating func nextDirichlet(alpha: Double, count: Int) -> [Double] {
        var draws = (0..<count).map { _ in nextGamma(shape: alpha) }
        let total = draws.reduce(0, +)
        if total > 0 {
            for index in draws.indices { draws[index] /= total }
        } else {
            draws = Array(repeating: 1.0 / Double(count), count: count)
        }
        return draws
    }

    /// Shuffles in place (Fisher-Yates with this stream's bounded integers).
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ collection: inout C)
    where C.Index == Int {
        var index = collection.endIndex - 1
        while index > collection.startIndex {
            let other = collection.startIndex + nextInt(below: index - collection.startIndex + 1)
            collection.swapAt(index, other)
            index -= 1
        }
    }

    /// A random permutation of `0..<count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var values = Array(0..<count)
        shuffle(&values)
        return values
    }
}
