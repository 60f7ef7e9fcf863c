/// How the training samples are split among the clients.
///
/// The cases map onto `OrchardData.Partition`; `natural` is the split that a per-client data set
/// (Synthetic(alpha, beta)) already has.
public enum PartitionSpec: Sendable, Equatable {
    /// Each client keeps the data generated for it; the only split of `synthetic`, and its default.
    case natural
    /// Equal random shares; the default of every other data set.
    case iid
    /// Label skew: per class, Dirichlet(alpha) proportions over the clients, redrawn until every
    /// client has at least `minimum` samples (FedML's `hetero`).
    case dirichlet(alpha: Double, minimum: Int)
    /// McMahan's pathological split: each client gets `classesPerClient` label-pure shards.
    case shards(classesPerClient: Int)
    /// Client sizes from a Dirichlet(alpha) draw, labels IID, each client at least `minimum` samples.
    case quantitySkew(alpha: Double, minimum: Int)

    /// Every name `kind:` accepts.
    public static let kindNames = ["iid", "dirichlet", "shards", "quantity-skew", "natural"]

    /// The name as written in a topology.
    public var name: String {
        switch self {
        case .natural: return "natural"
        case .iid: return "iid"
        case .dirichlet: return "dirichlet"
        case .shards: return "shards"
        case .quantitySkew: return "quantity-skew"
        }
    }

    /// A short description with the settings: `Dirichlet(0.5) label skew`.
    public var displayName: String {
        switch self {
        case .natural: return "natural per-client split"
        case .iid: return "IID"
        case .dirichlet(let alpha, _): return "Dirichlet(\(UnitFormat.trimmed(alpha))) label skew"
        case .shards(let classes): return "\(classes) label shards per client"
        case .quantitySkew(let alpha, _): return "Dirichlet(\(UnitFormat.trimmed(alpha))) quantity skew"
        }
    }
}
