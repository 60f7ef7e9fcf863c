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
            let distance = editDistance(target, Array(candidate.lowercased()))
            guard distance <= max(1, candidate.count / 3) else { continue }
            let exact = editDistance(Array(written), Array(candidate))
            if best == nil || (distance, exact) < (best!.distance, best!.exact) { best = (candidate, distance, exact) }
        }
        return best?.name
    }

    /// `"; did you mean 'x'?"` when a close candidate exists, otherwise nothing.
    static func didYouMean(_ written: String, among candidates: [String]) -> String {
        closest(to: written, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The number of single-character insertions, deletions and substitutions that turn one
    /// string into the other.
    static func editDistance(_ first: [Character], _ second: [Character]) -> Int {
        if first.isEmpty { return second.count }
        if second.isEmpty { return first.count }
        var previous = Array(0...second.count)
        var current = [Int](repeating: 0, count: second.count + 1)
        for (row, letter) in first.enumerated() {
            current[0] = row + 1
            for (column, other) in second.enumerated() {
                let substitution = previous[column] + (letter == other ? 0 : 1)
                current[column + 1] = min(substitution, previous[column + 1] + 1, current[column] + 1)
            }
            swap(&previous, &current)
        }
        return previous[second.count]
    }
}
