import OrchardNN
import OrchardTensor

extension Network {
    /// Every parameter and running statistic as dense named tensors: the network's own storage,
    /// except for compact sparse weights, which are copied out dense.
    public var stateTensors: [NamedTensor] {
        parameters.map { NamedTensor(name: $0.name, tensor: $0.parameter.denseValue()) }
    }

    /// Copies named tensors into the parameters of the same names, checking that every one is there.
    public func load(_ tensors: [NamedTensor]) throws {
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for named in parameters {
            guard let source = byName[named.name] else {
                throw FederationError("no tensor '\(named.name)' to load into \(name)")
            }
            guard source.count == named.parameter.denseCount else {
                throw FederationError(
                    "tensor '\(named.name)' has \(source.count) values, \(name) needs \(named.parameter.denseCount)")
            }
            named.parameter.assignDense(source.data)
        }
    }
}
