import OrchardTensor

/// How a layer's weights are drawn at construction.
public enum Initializer: Sendable {
    /// PyTorch's default for Linear and Conv2d: Kaiming-uniform with a = sqrt(5), that is
    /// U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weights and biases alike.
    case kaimingUniformDefault
    /// Kaiming-normal for ReLU networks over the fan-out, N(0, 2/fanOut), as torchvision's ResNets
    /// and VGGs use; biases start at zero.
    case kaimingNormalFanOut

    func fill(weight: Tensor, bias: Tensor?, fanIn: Int, fanOut: Int, random: inout RandomStream) {
        switch self {
        case .kaimingUniformDefault:
            let bound = 1 / Float(fanIn).squareRoot()
            for index in 0..<weight.count { weight[index] = (2 * random.nextFloat() - 1) * bound }
            if let bias {
                for index in 0..<bias.count { bias[index] = (2 * random.nextFloat() - 1) * bound }
            }
        case .kaimingNormalFanOut:
            let std = (2 / Double(fanOut)).squareRoot()
            for index in 0..<weight.count { weight[index] = Float(random.nextNormal() * std) }
            bias?.zero()
        }
    }
}
