import Foundation
import OrchardStore

/// What the charts of one run draw, read from its run file.
public struct RunChartData: Sendable, Equatable {
    /// One committed round with the run's totals up to and including it.
    public struct Round: Sendable, Equatable {
        public var round: Int
        /// The test accuracy, when the round evaluated.
        public var accuracy: Double?
        public var cumulativeBytesUp: Int
        public var cumulativeBytesDown: Int
        /// Floating-point operations of every client task so far.
        public var cumulativeFLOPs: Int
        /// The virtual clock at the round's end.
        public var simTime: Double

        public init(
            round: Int, accuracy: Double?, cumulativeBytesUp: Int, cumulativeBytesDown: Int, cumulativeFLOPs: Int,
            simTime: Double
        ) {
            self.round = round
            self.accuracy = accuracy
            self.cumulativeBytesUp = cumulativeBytesUp
            self.cumulativeBytesDown = cumulativeBytesDown
            self.cumulativeFLOPs = cumulativeFLOPs
            self.simTime = simTime
        }
    }

    /// How a round's client tasks ended: a count per status, as the run file writes it.
    public struct Outcomes: Sendable, Equatable {
        public var round: Int
        public var counts: [String: Int]

        public init(round: Int, counts: [String: Int]) {
            self.round = round
            self.counts = counts
        }
    }

    /// One layer's density after each round that recorded it.
    public struct Layer: Sendable, Equatable {
        public var name: String
        public var densities: [(round: Int, density: Double)]

        public init(name: String, densities: [(round: Int, density: Double)]) {
            self.name = name
            self.densities = densities
        }

        public static func == (lhs: Layer, rhs: Layer) -> Bool {
            lhs.name == rhs.name && lhs.densities.elementsEqual(rhs.densities) { $0 == $1 }
        }
    }

    /// What the run is called in legends.
    public var label: String
    public var rounds: [Round]
    public var outcomes: [Outcomes]
    public var clients: [ClientActivity]
    public var layers: [Layer]

    public init(label: String, rounds: [Round], outcomes: [Outcomes], clients: [ClientActivity], layers: [Layer]) {
        self.label = label
        self.rounds = rounds
        self.outcomes = outcomes
        self.clients = clients
        self.layers = layers
    }

    /// The chart data of `summary`'s run, with what the summary lacks read from `store`.
    public init(label: String, summary: RunSummary, store: RunStore) throws {
        let run = summary.run.id
        var flopsByRound: [Int: Int] = [:]
        var counts: [Int: [String: Int]] = [:]
        let tasks = try Self.columns(store, .clientRounds, ["round", "status", "flops"])
        try store.exportRows(of: .clientRounds, run: run) { row in
            guard let round = tasks.integer(row, "round"), let status = tasks.text(row, "status") else { return }
            counts[round, default: [:]][status, default: 0] += 1
            flopsByRound[round, default: 0] += tasks.integer(row, "flops") ?? 0
        }
        if !summary.maskHealth.isEmpty {
            self.init(label: label, summary: summary, flops: flopsByRound, counts: counts)
            return
        }
        var densities: [String: [(round: Int, density: Double)]] = [:]
        let layerColumns = try Self.columns(store, .layers, ["round", "layer", "density"])
        try store.exportRows(of: .layers, run: run) { row in
            guard let round = layerColumns.integer(row, "round"), let layer = layerColumns.text(row, "layer"),
                let density = layerColumns.real(row, "density")
            else { return }
            densities[layer, default: []].append((round, density))
        }
        self.init(
            label: label, summary: summary, flops: flopsByRound, counts: counts,
            layers: densities.keys.sorted().map { Layer(name: $0, densities: densities[$0] ?? []) })
    }

    /// The chart data of `summary`'s run, its layers' densities from the mask health it recorded
    /// (kept over all weights, in the network's order), or from `layers` when given.
    private init(
        label: String, summary: RunSummary, flops flopsByRound: [Int: Int], counts: [Int: [String: Int]],
        layers: [Layer]? = nil
    ) {
        var up = 0
        var down = 0
        var flops = 0
        let rounds = summary.perRound.map { line in
            up += line.bytesUp
            down += line.bytesDown
            flops += flopsByRound[line.record.round] ?? 0
            return Round(
                round: line.record.round, accuracy: line.record.testAccuracy, cumulativeBytesUp: up,
                cumulativeBytesDown: down, cumulativeFLOPs: flops,
                simTime: line.record.simStart + line.record.simSeconds)
        }
        self.init(
            label: label, rounds: rounds,
            outcomes: counts.keys.sorted().map { Outcomes(round: $0, counts: counts[$0] ?? [:]) },
            clients: summary.clients, layers: layers ?? Self.layers(summary.maskHealth))
    }

    /// Each layer's kept fraction per round, from the mask health, in the network's order.
    private static func layers(_ health: [RoundMaskHealth]) -> [Layer] {
        var order: [String] = []
        var densities: [String: [(round: Int, density: Double)]] = [:]
        for entry in health {
            for layer in entry.health.layers where layer.weights > 0 {
                if densities[layer.layer] == nil { order.append(layer.layer) }
                densities[layer.layer, default: []].append((entry.round, Double(layer.kept) / Double(layer.weights)))
            }
        }
        return order.map { Layer(name: $0, densities: densities[$0] ?? []) }
    }

    /// Whether the run recorded its layers' densities in more than one round, as the methods that
    /// move their masks do.
    public var hasLayerHistory: Bool {
        layers.contains { $0.densities.count > 1 }
    }

    /// The positions of `names` among the exported columns of `table`.
    private static func columns(_ store: RunStore, _ table: StoreTable, _ names: [String]) throws -> ColumnIndex {
        let columns = try store.exportColumns(of: table)
        return ColumnIndex(
            positions: Dictionary(
                uniqueKeysWithValues: names.compactMap { name in
                    columns.firstIndex(of: name).map { (name, $0) }
                }))
    }
}

/// Typed access to an exported row by column name.
private struct ColumnIndex {
    let positions: [String: Int]

    private func value(_ row: [StoreValue], _ name: String) -> StoreValue? {
        guard let position = positions[name], position < row.count else { return nil }
        return row[position]
    }

    func integer(_ row: [StoreValue], _ name: String) -> Int? {
        guard case .integer(let value) = value(row, name) else { return nil }
        return Int(exactly: value)
    }

    func real(_ row: [StoreValue], _ name: String) -> Double? {
        switch value(row, name) {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    func text(_ row: [StoreValue], _ name: String) -> String? {
        guard case .text(let value) = value(row, name) else { return nil }
        return value
    }
}
