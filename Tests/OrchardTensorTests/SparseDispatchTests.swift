import OrchardTensor
import Testing

@Suite struct SparseDispatchTests {
    @Test func thresholdsFollowTheMeasuredCrossovers() {
        #expect(SparseDispatch.prefersSparse(density: 0.05, inputs: 400, outputs: 120))
        #expect(!SparseDispatch.prefersSparse(density: 0.3, inputs: 400, outputs: 120))
        let small = ConvolutionGeometry(
            channels: 64, height: 8, width: 8, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        #expect(SparseDispatch.prefersSparse(density: 0.3, geometry: small, outputChannels: 64))
        #expect(!SparseDispatch.prefersSparse(density: 0.5, geometry: small, outputChannels: 64))
        let lenet = ConvolutionGeometry(
            channels: 1, height: 28, width: 28, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2)
        #expect(SparseDispatch.prefersSparse(density: 0.4, geometry: lenet, outputChannels: 6))
        #expect(!SparseDispatch.prefersSparse(density: 0.6, geometry: lenet, outputChannels: 6))
        let large = ConvolutionGeometry(
            channels: 512, height: 4, width: 4, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        #expect(SparseDispatch.prefersSparse(density: 0.2, geometry: large, outputChannels: 512))
        #expect(!SparseDispatch.prefersSparse(density: 0.3, geometry: large, outputChannels: 512))
    }
}
