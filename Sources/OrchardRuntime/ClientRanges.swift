/// The clients a host serves, as sorted ranges of ids that do not overlap: `0-9,20-29`.
///
/// Kept as ranges rather than expanded, so that a range of any size costs the same to parse and
/// to check against a topology; ids are listed only once the range is known to fit the topology.
public struct ClientRanges: Sendable, Equatable, CustomStringConvertible {
    /// The ranges, sorted by their first id, none overlapping another.
    public let ranges: [ClosedRange<Int>]

    /// Creates the set of `ranges`, which must not overlap.
    /// - Throws: `RuntimeError` naming two ranges that overlap, or when there is none.
    public init(_ ranges: [ClosedRange<Int>]) throws {
        guard !ranges.isEmpty else { throw RuntimeError("no client named") }
        let sorted = ranges.sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.lowerBound <= earlier.upperBound {
            let shared = max(earlier.lowerBound, later.lowerBound)...min(earlier.upperBound, later.upperBound)
            throw RuntimeError(
                "\(Self.text(earlier)) and \(Self.text(later)) overlap (\(Self.text(shared)) named twice)")
        }
        // Adjacent ranges merge, so that `description` is the shortest text of the set.
        var merged: [ClosedRange<Int>] = []
        for range in sorted {
            if let last = merged.last, last.upperBound + 1 == range.lowerBound {
                merged[merged.count - 1] = last.lowerBound...range.upperBound
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    /// Parses `0-99`, `3`, or `0-9,20-29` (spaces around the numbers allowed).
    /// - Throws: `RuntimeError` naming the part that is not an id or a range, or two that overlap;
    ///   `option` (such as `--clients`) starts the message.
    public static func parse(_ text: String, option: String = "--clients") throws -> ClientRanges {
        var ranges: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingSpaces) }
            switch bounds.count {
            case 1 where (bounds[0] ?? -1) >= 0:
                ranges.append(bounds[0]!...bounds[0]!)
            case 2 where 0 <= (bounds[0] ?? -1) && bounds[0]! <= (bounds[1] ?? -1):
                ranges.append(bounds[0]!...bounds[1]!)
            default:
                throw RuntimeError(
                    "\(option) '\(text)': '\(part)' is not a client id or a range of ids such as 0-99 "
                        + "(ids from 0, the first at most the last)")
            }
        }
        do {
            return try ClientRanges(ranges)
        } catch {
            throw RuntimeError("\(option) '\(text)': \(error)")
        }
    }

    /// Whether `id` is among the clients.
    public func contains(_ id: Int) -> Bool {
        // The ranges are sorted and disjoint: the last one starting at or before `id` decides.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound <= id { low = middle + 1 } else { high = middle }
        }
        return low > 0 && ranges[low - 1].contains(id)
    }

    /// Every id, in increasing order; only call once the ranges are known to be of a sensible size.
    public var ids: [Int] { ranges.flatMap { Array($0) } }

    /// The ranges beyond the first `available` ids (0..<available), as text such as `12-99`.
    public func beyond(_ available: Int) -> [String] {
        ranges.compactMap { range in
            range.upperBound < available ? nil : Self.text(max(range.lowerBound, available)...range.upperBound)
        }
    }

    /// The ids of `ranges` that none of `removed` holds, as sorted, disjoint ranges.
    ///
    /// Both lists may come in any order and `removed` may overlap itself; the work grows with the
    /// number of ranges, not of ids.
    public static func difference(_ ranges: [ClosedRange<Int>], _ removed: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        let cuts = removed.sorted { $0.lowerBound < $1.lowerBound }
        var left: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            // The first id not yet covered; nil once the whole range is.
            var next: Int? = range.lowerBound
            for cut in cuts {
                guard let from = next else { break }
                guard cut.upperBound >= from && cut.lowerBound <= range.upperBound else { continue }
                if cut.lowerBound > from { left.append(from...(cut.lowerBound - 1)) }
                next = cut.upperBound < range.upperBound ? max(from, cut.upperBound + 1) : nil
            }
            if let from = next { left.append(from...range.upperBound) }
        }
        return left
    }

    /// `0-9,20-29`, the form `parse` reads.
    public var description: String { ranges.map(Self.text).joined(separator: ",") }

    /// `12-99`, or `12` for a range of one id.
    static func text(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
