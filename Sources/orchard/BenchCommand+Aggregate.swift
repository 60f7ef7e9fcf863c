import ArgumentParser
import Foundation
import OrchardFederation
import OrchardFormat
import OrchardNN
import OrchardPruning
import OrchardTensor

extension Bench {
    struct Aggregate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the server's aggregation of clients' models under each aggregation rule.",
            discussion: """
                Each client sends the global model plus Gaussian noise of standard deviation 0.01 on \
                every value it holds, so an update's norm is about 0.01 times the square root of its \
                values: every client is clipped when --clip-norm is below that. Below --density 1, \
                the model is pruned to a random mask that every client keeps, and the masked average \
                of the sparse methods is timed; otherwise FedAvg's dense average.
                """)

        @OptionGroup var options: BenchModel
        @Option(help: "Clients whose models are aggregated.") var clients = 10
        @Option(help: "Timed aggregations per rule, after one untimed.") var repeats = 5
        @Option(help: "Fraction of the prunable weights kept, as a random mask; 1 is dense.") var density = 1.0
        @Option(help: "The trimmed mean's fraction dropped at each end, in [0, 0.5).") var trim = 0.1
        @Option(help: "The L2 norm updates are clipped to in the clipped runs.") var clipNorm = 1.0
        @Flag(help: "Print one JSON object instead of text.") var json = false

        func validate() throws {
            try OptionCheck.positive("--clients", clients)
            try OptionCheck.positive("--repeats", repeats)
            try OptionCheck.positive("--clip-norm", clipNorm)
            guard density > 0 && density <= 1 else {
                throw ValidationError("--density must be in (0, 1], got \(density)")
            }
            guard trim >= 0 && trim < 0.5 else { throw ValidationError("--trim must be in [0, 0.5), got \(trim)") }
        }

        func run() throws {
            let network = try options.makeNetwork(try options.shape)
            if density < 1 {
                try BenchModel.prune(
                    network, density: density, distribution: .erdosRenyiKernel, batch: 1, storage: .masked)
            }
            let uploads = Self.uploads(of: network, clients: clients)
            let initial = network.parameters.map { $0.parameter.denseValue().copy() }
            let rules: [(String, Aggregation)] = [
                ("mean", .mean), ("median", Aggregation(rule: .median)),
                ("trimmed-mean \(Format.decimal(100 * trim, 0))%", Aggregation(rule: .trimmedMean(trim: trim))),
                ("mean, clipped", Aggregation(clipNorm: clipNorm)),
                ("median, clipped", Aggregation(rule: .median, clipNorm: clipNorm)),
            ]
            var timings: [AggregateReport.Timing] = []
            for (name, aggregation) in rules {
                var milliseconds: [Double] = []
                for run in 0...repeats {
                    // Every run starts from the same global model, so each measures its updates alike.
                    for (named, values) in zip(network.parameters, initial) { named.parameter.assignDense(values.data) }
                    let elapsed = try ContinuousClock().measure { try aggregate(uploads, into: network, aggregation) }
                    if run > 0 { milliseconds.append(elapsed / .milliseconds(1)) }
                }
                timings.append(.init(rule: name, milliseconds_median: milliseconds.sorted()[milliseconds.count / 2]))
            }
            let report = AggregateReport(command: self, network: network, timings: timings)
            print(try json ? JSONOutput.encode(report) : report.text)
        }

        /// Aggregates `uploads` as the servers do: FedAvg's dense average, or the masked average.
        func aggregate(_ uploads: [MaskedAverage.Contribution], into network: Network, _ aggregation: Aggregation)
            throws
        {
            if density < 1 {
                let shapes = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.parameter.shape) })
                _ = try MaskedAverage.average(
                    uploads, shapes: shapes, aggregation: aggregation, reference: Aggregation.reference(network))
            } else {
                let dense = uploads.map { upload in
                    (upload.weight, upload.tensors.map { NamedTensor(name: $0.name, tensor: $0.dense) })
                }
                try WeightedAverage.apply(dense, to: network, aggregation: aggregation)
            }
        }

        /// Each client's model: the network's values plus noise at every position it holds.
        static func uploads(of network: Network, clients: Int) -> [MaskedAverage.Contribution] {
            let masks = network.masks
            return (0..<clients).map { client in
                var random = RandomStream(seed: 0, purpose: "bench-aggregate", client)
                let tensors = network.parameters.map { named -> (name: String, dense: Tensor, kept: [Int32]?) in
                    let values = named.parameter.denseValue().copy(role: .workspace)
                    let kept = masks[named.name]
                    for position in kept.map({ $0.map(Int.init) }) ?? Array(0..<values.count) {
                        values[position] += Float(0.01 * random.nextNormal())
                    }
                    return (named.name, values, kept)
                }
                return (Double(100 + client), tensors)
            }
        }
    }
}

/// What `orchard bench aggregate` measured.
struct AggregateReport: Encodable {
    struct Timing: Encodable {
        let rule: String
        let milliseconds_median: Double
    }

    let model: String
    let clients: Int
    let repeats: Int
    let density: Double
    let values: Int
    let largest_tensor: Int
    /// Bytes the median and trimmed mean gather for the largest tensor: every client's values, and
    /// two offsets per position.
    let gathered_bytes: Int
    let timings: [Timing]

    init(command: Bench.Aggregate, network: Network, timings: [Timing]) {
        model = command.options.model
        clients = command.clients
        repeats = command.repeats
        density = command.density
        let masks = network.masks
        let held = network.parameters.map { masks[$0.name]?.count ?? $0.parameter.denseCount }
        values = held.reduce(0, +)
        largest_tensor = network.parameters.map(\.parameter.denseCount).max() ?? 0
        let largestHeld = held.max() ?? 0
        gathered_bytes =
            largestHeld * clients * MemoryLayout<Float>.stride + 2 * (largest_tensor + 1) * MemoryLayout<Int>.stride
        self.timings = timings
    }

    var text: String {
        let base = timings.first?.milliseconds_median ?? 0
        var lines = [
            "\(model), \(clients) clients, \(density < 1 ? "masked average at density \(Format.decimal(density, 3))" : "dense average"), "
                + "\(values) values held; median of \(repeats) runs",
            "rule                          ms    x mean",
        ]
        for timing in timings {
            lines.append(
                timing.rule.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + Format.decimal(timing.milliseconds_median, 2).leftPadded(8)
                    + Format.decimal(base > 0 ? timing.milliseconds_median / base : 0, 1).leftPadded(10))
        }
        lines.append(
            "median and trimmed mean gather at most \(ByteFormat.binary(gathered_bytes)) at once "
                + "(the largest tensor, \(largest_tensor) values, from every client)")
        return lines.joined(separator: "\n")
    }
}
