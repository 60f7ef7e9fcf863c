/// A score per entry of each prunable tensor; higher scores are kept first.
public struct ModelScores: Sendable, Equatable {
    /// The scored tensors' names, in the network's parameter order.
    public let names: [String]
    /// The tensors' shapes.
    public let shapes: [[Int]]
    /// The scores of each tensor, flat row-major.
    public var values: [[Float]]

    public init(names: [String], shapes: [[Int]], values: [[Float]]) {
        precondition(names.count == shapes.count && names.count == values.count, "scores for mismatched layers")
        for (shape, scores) in zip(shapes, values) {
            precondition(scores.count == shape.reduce(1, *), "\(scores.count) scores for shape \(shape)")
        }
        self.names = names
        self.shapes = shapes
        self.values = values
    }

    /// The scores of a named tensor, or nil.
    public subscript(name: String) -> [Float]? {
        names.firstIndex(of: name).map { values[$0] }
    }
}

/// The order in which entries are kept: higher score first, then lower index; NaN ranks last.
enum Ranking {
    /// The score used for comparisons, with NaN below every number.
    @inline(__always) static func key(_ score: Float) -> Float { score.isNaN ? -.infinity : score }

    /// Whether entry `a` is kept before entry `b`.
    @inline(__always) static func before(_ a: Float, _ indexA: Int, _ b: Float, _ indexB: Int) -> Bool {
        let (keyA, keyB) = (key(a), key(b))
        if keyA != keyB { return keyA > keyB }
        if a.isNaN != b.isNaN { return b.isNaN }
        return indexA < indexB
    }

    /// The `count` best entries among `candidates` (all entries when nil), ascending by index.
    static func top(_ count: Int, of scores: [Float], among candidates: [Int32]? = nil) -> [Int32] {
        var order = candidates ?? (0..<scores.count).map { Int32($0) }
        let wanted = min(count, order.count)
        guard wanted > 0 else { return [] }
        if wanted < order.count {
            order.sort { before(scores[Int($0)], Int($0), scores[Int($1)], Int($1)) }
            order.removeLast(order.count - wanted)
        }
        order.sort()
        return order
    }
}
