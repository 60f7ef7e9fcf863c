import OrchardNN
import OrchardPruning
import OrchardTensor

/// Dense gradient statistics of a client's trained tensors, the upload of FedTiny-Clean and PruneFL.
///
/// FedPruning's clients send a dense tensor per parameter in adjustment rounds: the gradient of
/// one batch (FedTiny-Clean) or the mean squared gradient over the local steps (PruneFL). Pruned
/// weights hold no gradient at pruned positions, so those come from the layer, tile by tile
/// (`PositionGradient`), into a dense buffer per tensor: a method buffer of 4 bytes per value,
/// which is what makes these methods costly on a small device.
final class DenseGradients {
    /// Which tensors get a dense statistic.
    typealias Scope = GradientUpload

    /// The prefix of the uploaded tensors' names: `gradient:conv1.weight`.
    static let prefix = "gradient:"

    private let sources: [(name: String, parameter: Parameter, gradient: Gradient)]
    /// The dense buffers, one per source, in the network's parameter order.
    private(set) var buffers: [Tensor]

    private enum Gradient {
        /// The parameter's own gradient tensor, which is dense.
        case stored
        /// A pruned weight, asked position by position.
        case positions((UnsafeBufferPointer<Int32>, UnsafeMutablePointer<Float>) -> Void)
    }

    /// What a result holds of these statistics: a dense tensor `gradient:<name>` for each
    /// parameter in `scope`, in the parameter's shape.
    static func contractEntries(_ network: Network, scope: Scope) -> [ResultContract.Entry] {
        network.parameters.filter { $0.parameter.kind.isTrainable }.filter {
            scope == .all || $0.parameter.pattern != nil
        }.map { ResultContract.Entry(name: prefix + $0.name, form: .dense(shape: $0.parameter.shape)) }
    }

    /// The bytes the buffers and the tile of a walk take, for the memory check before they exist.
    static func bytes(_ network: Network, scope: Scope) -> Int {
        let selected = network.parameters.filter { $0.parameter.kind.isTrainable }.filter {
            scope == .all || $0.parameter.pattern != nil
        }
        let largest = selected.filter { $0.parameter.pattern != nil }.map(\.parameter.denseCount).max() ?? 0
        return selected.reduce(0) { $0 + 4 * $1.parameter.denseCount } + PositionGradient.tileBytes(largest)
    }

    /// Zeroed buffers for the network's tensors in `scope`.
    init(_ network: Network, scope: Scope, batch: Int) throws {
        var layers: [String: any PrunableLayer] = [:]
        for entry in network.prunableLayers(batch: batch) { layers[entry.name] = entry.layer }
        sources = try network.parameters.filter { $0.parameter.kind.isTrainable }.compactMap { named in
            let pruned = named.parameter.pattern != nil
            guard scope == .all || pruned else { return nil }
            guard pruned else { return (named.name, named.parameter, .stored) }
            guard let layer = layers[named.name] else {
                throw FederationError("'\(named.name)' is pruned but is no prunable layer's weight")
            }
            return (named.name, named.parameter, .positions(try PositionGradient.closure(layer, name: named.name)))
        }
        buffers = sources.map { Tensor(zeros: $0.parameter.shape, role: .workspace) }
    }

    /// Adds the gradient of the last backward pass, or its square, to every buffer.
    func accumulate(squared: Bool) {
        for (source, buffer) in zip(sources, buffers) {
            let target = buffer.data
            switch source.gradient {
            case .stored:
                let gradient = source.parameter.gradient!.data
                for index in 0..<buffer.count {
                    let value = gradient[index]
                    target[index] += squared ? value * value : value
                }
            case .positions(let closure):
                PositionGradient.walk(closure, count: buffer.count) { start, values in
                    for (offset, value) in values.enumerated() {
                        target[start + offset] += squared ? value * value : value
                    }
                }
            }
        }
    }

    /// Multiplies every buffer by `factor` (a mean from a sum).
    func scale(by factor: Float) {
        for buffer in buffers {
            let data = buffer.data
            for index in 0..<buffer.count { data[index] *= factor }
        }
    }

    /// Fills every buffer with standard normal values from `random` (FedPruning's `random` ablation).
    func fillNormal(_ random: inout RandomStream) {
        for buffer in buffers {
            let data = buffer.data
            for index in 0..<buffer.count { data[index] = Float(random.nextNormal()) }
        }
    }

    /// The buffers as dense tensors named `gradient:<parameter>`.
    var namedTensors: [NamedTensor] {
        zip(sources, buffers).map { NamedTensor(name: Self.prefix + $0.name, tensor: $1) }
    }
}

/// Which tensors the gradient-growth methods send dense statistics of in adjustment rounds.
public enum GradientUpload: String, Sendable, CaseIterable {
    /// Every trained tensor, biases and batch norm included, as FedPruning sends them.
    case all
    /// Only the pruned weights, the only ones the server's mask update reads.
    case pruned

    /// The `gradient_upload` setting of a method whose settings hold it at `path`.
    static func declaration<Settings: MethodSettings>(_ path: WritableKeyPath<Settings, Self> & Sendable)
        -> SettingDeclaration<Settings>
    {
        .choice(
            "gradient_upload", path,
            "Which tensors clients send dense gradients of in adjustment rounds: all trained ones (as FedPruning) "
                + "or only the pruned weights (the only ones the server reads).")
    }
}
