/// How a task names a held mask: the values of weight `W` travel as a dense frame `W` of shape
/// `[K]` (the values at the mask's kept positions, ascending), and the mask as a `MASK_UNCHANGED`
/// frame named `mask:W` of W's dense shape (`docs/protocol.md` section 2).
enum MaskReference {
    /// The prefix of a reference frame's name.
    static let prefix = "mask:"

    /// The name of the reference frame for weight `name`.
    static func name(for weight: String) -> String { prefix + weight }

    /// The weight a reference frame's name refers to, or `nil` when the name is not a reference's.
    static func weight(of name: String) -> String? {
        name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
    }
}
