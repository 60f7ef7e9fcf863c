public enum SparseDispatch {
    public static func prefersSparse(linearDensity: Double, inputs: Int, outputs: Int, batch: Int) -> Bool {
        linearDensity < 0.2
    }
    public static func prefersSparse(
        convolutionDensity: Double, geometry: ConvolutionGeometry, outputChannels: Int, batch: Int
    ) -> Bool { convolutionDensity < 0.2 }
}
