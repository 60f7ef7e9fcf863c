import OrchardFederation

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
