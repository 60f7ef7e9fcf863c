import OrchardStore

extension RunSummary {
    /// A candidate selection as the clients' recorded figures show it (FedTiny's `score` round).
    public struct CandidateSelection: Sendable, Equatable {
        /// The round that scored the candidates.
        public var round: Int
        /// Each candidate's loss per validation sample over the clients that scored it:
        /// `Σ loss_sum.<c> / Σ validation_samples`, what the server ranks.
        public var losses: [Double]
        /// Each candidate's correct predictions per validation sample.
        public var accuracies: [Double?]
        /// `(max − min) / min` of the losses, or `nil` when it cannot be formed.
        public var relativeSpread: Double?

        /// Whether the losses lie within `threshold` (relative) of each other, so that the pick
        /// is decided by noise: 1%, as the FedTiny server warns.
        public func isIndistinguishable(threshold: Double = 0.01) -> Bool {
            relativeSpread.map { $0 < threshold } ?? false
        }
    }

    /// The candidate selections the run's figures record: every round with `loss_sum.<c>` and
    /// `validation_samples` (sums over the clients are their means times their counts).
    public var candidateSelections: [CandidateSelection] {
        let series = Dictionary(clientMetrics.map { ($0.name, $0) }) { first, _ in first }
        func sums(_ name: String) -> [Int: Double] {
            var result: [Int: Double] = [:]
            for round in series[name]?.rounds ?? [] {
                if let mean = round.mean { result[round.round] = mean * Double(round.clients) }
            }
            return result
        }
        let samples = sums("validation_samples")
        var candidates = 0
        while series["loss_sum.\(candidates)"] != nil { candidates += 1 }
        guard candidates > 0 else { return [] }
        let losses = (0..<candidates).map { sums("loss_sum.\($0)") }
        let correct = (0..<candidates).map { sums("correct.\($0)") }
        return losses[0].keys.sorted().compactMap { round in
            guard let total = samples[round], total > 0 else { return nil }
            let perSample = losses.compactMap { $0[round].map { $0 / total } }
            guard perSample.count == candidates else { return nil }
            let finite = perSample.filter(\.isFinite)
            var spread: Double?
            if finite.count >= 2, let low = finite.min(), let high = finite.max(), low > 0 {
                spread = (high - low) / low
            }
            return CandidateSelection(
                round: round, losses: perSample, accuracies: correct.map { $0[round].map { $0 / total } },
                relativeSpread: spread)
        }
    }

    /// What a reader should know before trusting the run's figures: selections decided by noise,
    /// outputs the final masks leave with no path to the input.
    public var healthNotes: [String] {
        var notes: [String] = []
        for selection in candidateSelections where selection.isIndistinguishable() {
            let spread = ReportFormat.percent(selection.relativeSpread)
            notes.append(
                "the \(selection.losses.count) candidates scored in round \(selection.round) lie within \(spread) "
                    + "of each other: the selection was decided by noise")
        }
        if let last = maskHealth.last, last.health.deadOutputs > 0 {
            notes.append(
                "after round \(last.round), \(last.health.deadOutputs) of \(last.health.outputs) outputs have no "
                    + "path to the input: the model cannot tell those classes apart")
        }
        return notes
    }

    /// Per round: the kept weights, the dead outputs of the network and of its layers.
    func maskHealthTable() -> TextTable {
        var table = TextTable([
            .number("round"), .number("kept"), .number("dead outputs"), .number("dead units"),
            .text("layers with dead units"),
        ])
        for entry in maskHealth {
            let health = entry.health
            let layers = health.layers.filter { $0.deadOutputs > 0 }
            table.append([
                "\(entry.round)", ReportFormat.grouped(health.kept), "\(health.deadOutputs) of \(health.outputs)",
                ReportFormat.grouped(layers.reduce(0) { $0 + $1.deadOutputs }),
                layers.isEmpty
                    ? ReportFormat.missing : layers.map { "\($0.layer) \($0.deadOutputs)" }.joined(separator: ", "),
            ])
        }
        return table
    }

    /// The last recorded round's layers: kept weights, density, share of all kept weights, dead units.
    func layerHealthTable() -> TextTable {
        var table = TextTable([
            .text("layer"), .number("kept"), .number("weights"), .number("density"), .number("share of kept"),
            .number("outputs"), .number("dead"),
        ])
        guard let last = maskHealth.last?.health else { return table }
        let total = max(1, last.kept)
        for layer in last.layers {
            table.append([
                layer.layer, ReportFormat.grouped(layer.kept), ReportFormat.grouped(layer.weights),
                ReportFormat.percent(layer.weights > 0 ? Double(layer.kept) / Double(layer.weights) : nil),
                ReportFormat.percent(Double(layer.kept) / Double(total)), "\(layer.outputs)", "\(layer.deadOutputs)",
            ])
        }
        return table
    }

    /// The candidate selections: each candidate's loss and accuracy, and the spread.
    func selectionTable() -> TextTable {
        var table = TextTable([.number("round"), .number("candidate"), .number("loss"), .number("accuracy")])
        for selection in candidateSelections {
            for (candidate, loss) in selection.losses.enumerated() {
                table.append([
                    "\(selection.round)", "\(candidate)", ReportFormat.decimal(loss, 4),
                    ReportFormat.percent(selection.accuracies[candidate]),
                ])
            }
        }
        return table
    }

    /// The text sections of mask health, candidate selection and the notes, empty when the run has none.
    func healthSections(maxRows: Int) -> [String] {
        var lines: [String] = []
        if !maskHealth.isEmpty {
            lines += ["", "Mask health (outputs with no path of kept weights from the input)"]
            lines += maskHealthTable().render(limit: maxRows, noun: "round")
            lines += ["", "Layers after round \(maskHealth.last?.round ?? 0)"]
            lines += layerHealthTable().render(limit: maxRows, noun: "layer")
        }
        let selections = candidateSelections
        if !selections.isEmpty {
            let spreads = selections.map { "round \($0.round): \(ReportFormat.percent($0.relativeSpread))" }
            lines += ["", "Candidate selection (loss spread, (max - min) / min: \(spreads.joined(separator: "; ")))"]
            lines += selectionTable().render(limit: maxRows, noun: "candidate")
        }
        let notes = healthNotes
        if !notes.isEmpty { lines += [""] + notes.map { "Note: " + $0 } }
        return lines
    }
}

/// One element of `mask_health` in the JSON summary.
struct MaskHealthJSON: Encodable {
    let round: Int
    let kept: Int
    let outputs: Int
    let dead_outputs: Int
    let layers: [LayerJSON]

    struct LayerJSON: Encodable {
        let layer: String
        let kept: Int
        let weights: Int
        let outputs: Int
        let dead_outputs: Int
    }

    init(_ entry: RoundMaskHealth) {
        round = entry.round
        kept = entry.health.kept
        outputs = entry.health.outputs
        dead_outputs = entry.health.deadOutputs
        layers = entry.health.layers.map {
            LayerJSON(
                layer: $0.layer, kept: $0.kept, weights: $0.weights, outputs: $0.outputs, dead_outputs: $0.deadOutputs)
        }
    }
}

/// One element of `candidate_selections` in the JSON summary.
struct SelectionJSON: Encodable {
    let round: Int
    let losses: [Double?]
    let accuracies: [Double?]
    let relative_spread: Double?
    let indistinguishable: Bool

    init(_ selection: RunSummary.CandidateSelection) {
        round = selection.round
        losses = selection.losses.map { $0.isFinite ? $0 : nil }
        accuracies = selection.accuracies
        relative_spread = selection.relativeSpread
        indistinguishable = selection.isIndistinguishable()
    }
}
