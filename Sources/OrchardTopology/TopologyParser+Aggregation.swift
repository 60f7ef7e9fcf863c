import Yams

extension TopologyParser {
    /// The keys of `aggregation:`.
    static let aggregationKeys = ["rule", "trim", "clip_norm"]

    /// The aggregation rule: `rule`, `trim` (with `trimmed-mean` only) and `clip_norm`; a rule's
    /// name alone stands for `{rule: NAME}`.
    func readAggregation(_ node: Node, _ path: String) -> AggregationSpec? {
        let mistakes = log.diagnostics.count
        guard
            let section = Section(
                node, path: path, log: log, expected: "a mapping with rule, trim and clip_norm, or a rule's name",
                shorthandKey: "rule")
        else { return nil }
        let rules = AggregationSpec.Rule.allCases.map(\.rawValue)
        let rule = section.read("rule") { log.choice($0, $1, among: rules, what: "aggregation rule") }
            .flatMap(AggregationSpec.Rule.init(rawValue:))
        let trim = section.read("trim") {
            log.quantity($0, $1, Units.fraction, .belowHalf, what: "a fraction such as 0.1 or 10%")
        }
        let clipNorm = section.read("clip_norm", nullMeansAbsent: true) { log.number($0, $1, .positive) }
        section.finish(known: Self.aggregationKeys)
        let trimPath = KeyPath.child(path, "trim")
        if rule == .trimmedMean, !section.contains("trim") {
            log.report(
                "rule trimmed-mean needs trim, the fraction of the clients' values dropped at each end, "
                    + "such as trim: 10%", at: section.mark, path: trimPath)
        }
        if let rule, rule != .trimmedMean, section.contains("trim"), !log.hasDiagnostic(at: trimPath) {
            log.report("trim applies only to rule trimmed-mean, and the rule here is \(rule.rawValue)", path: trimPath)
        }
        if !section.contains("rule"), section.contains("trim"), !log.hasDiagnostic(at: trimPath) {
            log.report("trim applies only to rule trimmed-mean; write rule: trimmed-mean too", path: trimPath)
        }
        guard log.diagnostics.count == mistakes else { return nil }
        return AggregationSpec(rule: rule ?? .mean, trim: trim ?? 0, clipNorm: clipNorm)
    }
}
