/// How values travel: the runtime's choice for a run, applied to every value a task carries.
public enum ValuePrecision: Sendable, Equatable {
    /// IEEE 754 binary32: every bit pattern travels unchanged.
    case float32
    /// IEEE 754 binary16, rounded to nearest with ties to even: half the bytes, a relative error of
    /// at most 2^-11 in binary16's normal range (`docs/protocol.md` section 2 gives the full bound).
    case float16
}
