@testable import OrchardFederation

/// Setting values for hand-built setups, written as numbers and words and typed by the standard
/// methods' declarations of each key.
enum SetupValues {
    /// `numbers` and `choices` as setting values, each of the kind its key is declared with.
    static func typed(_ numbers: [String: Double], choices: [String: String] = [:]) -> [String: SettingValue] {
        var values = choices.mapValues { SettingValue.choice($0) }
        for (key, number) in numbers {
            let setting = MethodRegistry.standard.methods.lazy.flatMap(\.settings).first { $0.key == key }
            switch setting?.kind {
            case .integer: values[key] = .integer(Int(number))
            case .boolean: values[key] = .boolean(number != 0)
            default: values[key] = .number(number)
            }
        }
        return values
    }
}

// Each half built from a setup's values, decoded as the method's descriptor does.
extension FixedMaskServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "fixed-mask"))
    }
}

extension FixedMaskClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "fixed-mask"))
    }
}

extension FedDSTServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "feddst"))
    }
}

extension FedDSTClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "feddst"))
    }
}

extension PruneFLServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "prunefl"))
    }
}

extension PruneFLClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "prunefl"))
    }
}

extension FedTinyCleanServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "fedtiny-clean"))
    }
}

extension FedTinyCleanClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "fedtiny-clean"))
    }
}

extension FedTinyServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, configuration: .decode(setup.settings, method: "fedtiny"))
    }
}

extension FedTinyClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, configuration: .decode(setup.settings, method: "fedtiny"))
    }
}

extension FedTinyConfiguration {
    init(_ setup: MethodSetup) throws { self = try .decode(setup.settings, method: "fedtiny") }
}

extension SparseGlobalModel {
    /// The model of the pruning settings among the setup's values.
    convenience init(setup: MethodSetup) throws {
        let keys = Set(PruningSettings.settings.map(\.key))
        try self.init(
            setup: setup, pruning: .decode(setup.settings.filter { keys.contains($0.key) }, method: "the sparse model"))
    }
}
