/// The methods a topology may name, each with the settings it accepts.
///
/// The loader checks `method:` against a registry: the name must be registered, and every setting
/// must be one the method declares, of the declared kind and range. `standard` holds the methods
/// Orchard implements; a method added to `OrchardFederation` adds its descriptor there, and tests
/// or tools may pass a registry of their own to `TopologyLoader`.
public struct MethodRegistry: Sendable {
    /// The registered methods, in registration order.
    public private(set) var methods: [MethodDescriptor]

    /// Creates a registry of `methods`; a later descriptor replaces an earlier one of the same name.
    public init(_ methods: [MethodDescriptor]) {
        self.methods = []
        for method in methods { register(method) }
    }

    /// The methods Orchard implements.
    public static let standard = MethodRegistry([.fedAvg])

    /// The names of the registered methods.
    public var names: [String] { methods.map(\.name) }

    /// The descriptor of the method called `name`, if registered.
    public func descriptor(named name: String) -> MethodDescriptor? { methods.first { $0.name == name } }

    /// Adds `method`, replacing a registered method of the same name.
    public mutating func register(_ method: MethodDescriptor) {
        if let index = methods.firstIndex(where: { $0.name == method.name }) {
            methods[index] = method
        } else {
            methods.append(method)
        }
    }
}

/// What a topology may say about one method: its name, its settings, and how dense the model
/// its clients train is, which sets the smallest memory budget that can hold it.
public struct MethodDescriptor: Sendable {
    /// The name written after `method:`.
    public let name: String
    /// One sentence about the method, for help and the reference.
    public let summary: String
    /// The settings the method accepts.
    public let settings: [MethodSetting]
    /// The fraction of the model's trainable weights that a client holds while training, in
    /// (0, 1], given the method's settings (defaults filled in): 1 for a dense method.
    public let trainingDensity: @Sendable ([String: SettingValue]) -> Double

    /// Creates a descriptor.
    public init(
        name: String, summary: String, settings: [MethodSetting] = [],
        trainingDensity: @escaping @Sendable ([String: SettingValue]) -> Double = { _ in 1 }
    ) {
        self.name = name
        self.summary = summary
        self.settings = settings
        self.trainingDensity = trainingDensity
    }

    /// Federated averaging of dense models, weighted by each client's number of training samples.
    public static let fedAvg = MethodDescriptor(
        name: "fedavg",
        summary: "Federated averaging of dense models, weighted by training samples (McMahan et al., 2017).")
}

/// One setting a method accepts.
public struct MethodSetting: Sendable {
    /// The kinds of value a setting can take, with their ranges.
    public enum Kind: Sendable {
        /// `true` or `false`.
        case boolean
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// A number in the range.
        case number(ClosedRange<Double>)
        /// A fraction in (0, 1], written `0.05` or `5%`.
        case fraction
        /// One of the words listed.
        case choice([String])
    }

    /// The key under `method:`.
    public let key: String
    /// The kind of value and its range.
    public let kind: Kind
    /// The value used when the topology does not set it; nil makes the setting required.
    public let defaultValue: SettingValue?
    /// One sentence about the setting.
    public let summary: String

    /// Creates a setting.
    public init(key: String, kind: Kind, defaultValue: SettingValue?, summary: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }
}
