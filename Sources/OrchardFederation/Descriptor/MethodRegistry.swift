/// The methods a topology may name, each by its descriptor.
///
/// The loader checks `method:` against a registry and the runtime builds the method from the same
/// descriptor. `standard` lists the methods Orchard implements, one line each; tests and tools may
/// build a registry of their own.
public struct MethodRegistry: Sendable {
    /// The registered methods, in registration order.
    public private(set) var methods: [MethodDescriptor]

    /// Creates a registry of `methods`; a later descriptor replaces an earlier one of the same name.
    public init(_ methods: [MethodDescriptor]) {
        self.methods = []
        for method in methods { register(method) }
    }

    /// The methods Orchard implements.
    public static let standard = MethodRegistry([
        .fedAvg,
        .fixedMask,
        .fedTiny,
        .fedTinyClean,
        .pruneFL,
        .fedDST,
        .gmp,
        .imp,
        .set,
        .graNet,
        .hideNseek,
        .lotteryFL,
        .fedRTS,
    ])

    /// The names of the registered methods.
    public var names: [String] { methods.map(\.name) }

    /// The descriptor of the method called `name`, if registered.
    public func descriptor(named name: String) -> MethodDescriptor? { methods.first { $0.name == name } }

    /// The descriptor of the method called `name`.
    /// - Throws: `FederationError` naming the known methods when none is called `name`.
    public func descriptor(for name: String) throws -> MethodDescriptor {
        guard let descriptor = descriptor(named: name) else {
            throw FederationError("unknown method '\(name)'; known methods: \(names.joined(separator: ", "))")
        }
        return descriptor
    }

    /// Builds the server half of the method called `name`.
    public func server(_ name: String, setup: MethodSetup) throws -> any ServerMethod {
        try descriptor(for: name).server(setup)
    }

    /// Builds the client half of the method called `name`; one serves every logical client of a host.
    public func client(_ name: String, setup: MethodSetup) throws -> any ClientMethod {
        try descriptor(for: name).client(setup)
    }

    /// Adds `method`, replacing a registered method of the same name.
    public mutating func register(_ method: MethodDescriptor) {
        if let index = methods.firstIndex(where: { $0.name == method.name }) {
            methods[index] = method
        } else {
            methods.append(method)
        }
    }
}
