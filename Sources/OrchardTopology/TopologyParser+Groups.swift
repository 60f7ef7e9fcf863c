import Yams

/// Reading `groups:`, the clients' devices and links.
extension TopologyParser {
    /// The keys a group accepts.
    static let groupKeys = ["name", "count", "memory", "link", "compute", "availability"]

    /// The most clients one group may have: more than any federated data set has users, and small
    /// enough that no sum of counts can overflow.
    static let maximumGroupSize = 10_000_000

    /// `groups:`, a non-empty list, with nil in place of each group that has a mistake.
    func readGroups(_ node: Node, _ path: String) -> [ClientGroup?]? {
        guard case .sequence(let sequence) = node else {
            log.report(
                "expected a list of groups (each a mapping with count and optionally name, memory, link, compute "
                    + "and availability), got \(DiagnosticLog.describe(node))", at: node.mark, path: path)
            return nil
        }
        guard !sequence.isEmpty else {
            log.report("needs at least one group of clients", at: node.mark, path: path)
            return nil
        }
        var groups: [ClientGroup?] = []
        var firstUse: [String: Int] = [:]
        for (index, item) in sequence.enumerated() {
            let itemPath = KeyPath.element(path, index)
            let (name, group) = readGroup(item, itemPath, index: index)
            if let name {
                if let earlier = firstUse[name] {
                    log.report(
                        "group name '\(name)' is already used by \(KeyPath.element(path, earlier))",
                        path: KeyPath.child(itemPath, "name"))
                } else {
                    firstUse[name] = index
                }
            }
            groups.append(group)
        }
        return groups
    }

    /// One group, and its name even when the rest has mistakes, so that duplicate names are still found.
    func readGroup(_ node: Node, _ path: String, index: Int) -> (name: String?, group: ClientGroup?) {
        guard let section = Section(node, path: path, log: log, expected: "a group: a mapping with at least count")
        else { return (nil, nil) }
        let name = section.read("name", log.text) ?? "group\(index)"
        let count = section.read("count", required: true) {
            log.integer($0, $1, atLeast: 1, atMost: Self.maximumGroupSize)
        }
        let memory = section.read("memory", nullMeansAbsent: true, log.byteSize)
        let link = section.read("link", nullMeansAbsent: true, readLink)
        let compute = section.read("compute", nullMeansAbsent: true, log.flopRate)
        let availability = section.read("availability", log.fraction) ?? 1
        section.finish(
            known: Self.groupKeys,
            elsewhere: Dictionary(uniqueKeysWithValues: ["up", "down", "latency"].map { ($0, "belongs under link:") }))
        // A value that could not be read leaves nil behind (no budget, no link), which is harmless:
        // its diagnostic already keeps the topology from loading.
        guard let count else { return (name, nil) }
        return (
            name,
            ClientGroup(
                name: name, count: count, memory: memory, link: link, compute: compute, availability: availability)
        )
    }

    /// `link:`, with `up` and `down` bandwidths and an optional `latency`.
    func readLink(_ node: Node, _ path: String) -> Link? {
        guard let section = Section(node, path: path, log: log, expected: "a link: a mapping with up, down and latency")
        else { return nil }
        let up = section.read("up", required: true, log.bitRate)
        let down = section.read("down", required: true, log.bitRate)
        let latency = section.read("latency") { log.duration($0, $1, .nonNegative) }
        section.finish(known: ["up", "down", "latency"])
        guard let up, let down else { return nil }
        return Link(up: up, down: down, latency: latency ?? 0)
    }
}
