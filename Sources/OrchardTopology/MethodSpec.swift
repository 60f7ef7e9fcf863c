/// The federated method of a run and its settings, checked against the method's descriptor.
public struct MethodSpec: Sendable, Equatable {
    /// The method's name in the registry, such as `fedavg`.
    public var name: String
    /// Every setting the method declares: those written in the topology, and the defaults of the rest.
    public var settings: [String: SettingValue]

    /// Creates a method description.
    public init(name: String, settings: [String: SettingValue] = [:]) {
        self.name = name
        self.settings = settings
    }
}

/// The value of one method setting: a scalar of the kind the setting declares.
public enum SettingValue: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `true` or `false`.
    case boolean(Bool)
    /// A whole number.
    case integer(Int)
    /// A number; fractions written as `90%` arrive here as 0.9.
    case number(Double)
    /// A word from the setting's list of choices.
    case choice(String)

    /// The value as it would be written in a topology.
    public var description: String {
        switch self {
        case .boolean(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value): return UnitFormat.trimmed(value)
        case .choice(let value): return value
        }
    }

    /// The value as a number, for integer and number settings.
    public var number: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }
}
