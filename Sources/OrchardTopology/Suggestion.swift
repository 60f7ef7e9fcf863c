/// Finds the name a user probably meant when they wrote one that is not known.
///
/// The measure is the Levenshtein distance between lowercased names, so that `memroy` finds
/// `memory` and `MNIST` finds `mnist`; a candidate counts as close when at most a third of its
/// letters (and at least one) would have to change.
enum Suggestion {
    /// The known name closest to `written`, if it is close enough to be a likely typo.
    ///
    /// Ties go to the candidate closer with case taken into account, then to the earlier candidate,
    /// so that callers list preferred spellings first.
    static func closest(to written: String, among candidates: [String]) -> String? {
        let target = Array(written.lowercased())
        var best: (name: String, distance: Int, exact: Int)?
        for candidate in candidates {
            let limit = max(1, candidate.count / 3)
            let lowered = Array(candidate.lowercased())
            // The distance is at least the difference in length: no need to compute it then.
            guard abs(target.count - lowered.count) <= limit else { continue }
            let distance = editDistance(target, lowered)
            guard distance <= limit else { continue }
            let exact = editDistance(Array(written), Array(candidate))
            if best == nil || (distance, exact) < (best!.distance, best!.exact) { best = (candidate, distance, exact) }
        }
        return best?.name
    }

    /// `"; did you mean 'x'?"` when a close candidate exists, otherwise nothing.
    static func didYouMean(_ written: String, among candidates: [String]) -> String {
        closest(to: written, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The number of single-character insertions, deletions, substitutions and swaps of two
    /// neighbours that turn one string into the other (the optimal string alignment distance), so
    /// that `mnsit` is one step from `mnist`.
    static func editDistance(_ first: [Character], _ second: [Character]) -> Int {
        if first.isEmpty { return second.count }
        if second.isEmpty { return first.count }
        // Three rows of the dynamic programme: two back (for swaps), one back, and the current one.
        var beforePrevious = [Int](repeating: 0, count: second.count + 1)
        var previous = Array(0...second.count)
        var current = [Int](repeating: 0, count: second.count + 1)
        for row in 1...first.count {
            current[0] = row
            for column in 1...second.count {
                let same = first[row - 1] == second[column - 1]
                current[column] = min(
                    previous[column - 1] + (same ? 0 : 1), previous[column] + 1, current[column - 1] + 1)
                if row > 1, column > 1, first[row - 1] == second[column - 2], first[row - 2] == second[column - 1] {
                    current[column] = min(current[column], beforePrevious[column - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[second.count]
    }
}
