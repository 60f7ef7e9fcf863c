import Foundation

/// Byte counts written as text: for people (`12.3 MiB`) and as a topology file writes them
/// (`512KiB`), so that every command, report and message spells a size the same way.
public enum ByteFormat {
    private static let binaryUnits: [(name: String, size: Int)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
    ]
    private static let decimalUnits: [(name: String, size: Int)] = [
        ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("kB", 1000),
    ]

    /// For people: the largest binary unit the count reaches, one decimal and a space, such as
    /// `12.3 MiB`; below 1 KiB the exact count, such as `512 B`.
    public static func binary(_ count: Int) -> String {
        guard let unit = binaryUnits.first(where: { count.magnitude >= $0.size }) else { return "\(count) B" }
        return oneDecimal(count, unit.size) + " " + unit.name
    }

    /// As a topology file writes it (read back by `Units.bytes`): exact in whichever system (powers
    /// of 1,000 or 1,024) gives a whole number with the larger unit, such as `512KiB` or `4MB`;
    /// otherwise binary units with one decimal, such as `241.0KiB`.
    public static func topology(_ count: Int) -> String {
        let exact = (decimalUnits + binaryUnits)
            .filter { count != 0 && count % $0.size == 0 }
            .max { $0.size < $1.size }
        if let exact { return "\(count / exact.size)\(exact.name)" }
        guard let unit = binaryUnits.first(where: { count.magnitude >= $0.size }) else { return "\(count)B" }
        return oneDecimal(count, unit.size) + unit.name
    }

    /// As a topology file writes it, rounded up to one decimal of the largest binary unit it
    /// reaches, so that the text read back is at least `count`: what to suggest when a budget must grow.
    public static func topologyRoundedUp(_ count: Int) -> String {
        guard let unit = binaryUnits.first(where: { count >= $0.size }) else { return "\(count)B" }
        var text = String(format: "%.1f", (Double(count) * 10 / Double(unit.size)).rounded(.up) / 10)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text + unit.name
    }

    private static func oneDecimal(_ count: Int, _ size: Int) -> String {
        String(format: "%.1f", Double(count) / Double(size))
    }
}
