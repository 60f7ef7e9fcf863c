/// The model every client trains, by its name in `OrchardNN.ModelZoo`.
public struct ModelSpec: Sendable, Equatable {
    /// The zoo name: `logreg`, `mlp`, `lenet5`, `vgg11`, `resnet8`, `resnet14`, `resnet20`, `resnet18`.
    public var name: String
    /// The channel width multiplier of VGG and the ResNets; 1 by default, and always 1 for the others.
    public var width: Double
    /// The absolute path of a safetensors file of initial weights (`init:`), or nil to start from
    /// the seed's random initialisation.
    public var initPath: String?

    /// Creates a model description.
    public init(name: String, width: Double = 1, initPath: String? = nil) {
        self.name = name
        self.width = width
        self.initPath = initPath
    }

    /// Whether `width` changes the model called `name`.
    public static func hasWidth(_ name: String) -> Bool { name == "vgg11" || name.hasPrefix("resnet") }
}
