import OrchardNN
import OrchardTensor

extension Network {
    /// Every parameter and running statistic as named tensors that share the network's storage.
    public var stateTensors: [NamedTensor] {
        parameters.map { NamedTensor(name: $0.name, tensor: $0.parameter.value) }
    }

    /// Copies named tensors into the parameters of the same names, checking that every one is there.
    public func load(_ tensors: [NamedTensor]) throws {
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for named in parameters {
            guard let source = byName[named.name] else {
                throw FederationError("no tensor '\(named.name)' to load into \(name)")
            }
            guard source.count == named.parameter.value.count else {
                throw FederationError(
                    "tensor '\(named.name)' has \(source.count) values, \(name) needs \(named.parameter.value.count)")
            }
            named.parameter.value.assign(from: source)
        }
    }
}
