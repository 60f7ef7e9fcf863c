import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardWire

/// Encoded bytes against the analytic minimum (values plus the mask's entropy) for random masks.
///
/// A behaviour, not a timing: the chosen encoding must come within 5% of the minimum at 1% and
/// 10% density. Debug builds measure a LeNet-5-sized tensor and a 300k-entry one; release builds
/// (`swift test -c release --filter SparseEfficiency`) add the ResNet-18 size, 11M entries.
@Suite("Sparse encoding efficiency")
struct SparseEfficiencyTests {
    #if DEBUG
        static let sizes = [61_706, 300_000]
    #else
        static let sizes = [61_706, 300_000, 11_173_962]
    #endif

    /// One measurement: the frame's bytes and its analytic minimum.
    struct Measurement: CustomStringConvertible {
        let elements: Int
        let density: Double
        let precision: ValuePrecision
        let kept: Int
        let encoding: TensorEncoding
        let bytes: Int
        let minimum: Double

        var ratio: Double { Double(bytes) / minimum }

        var description: String {
            let half = precision == .float16 ? "f16" : "f32"
            let shown = (ratio * 10_000).rounded() / 10_000
            return "N=\(elements) d=\(density) \(half): kept \(kept), \(encoding) \(bytes) bytes, "
                + "minimum \(Int(minimum.rounded())) bytes, ratio \(shown)"
        }
    }

    static func measure(elements: Int, density: Double, precision: ValuePrecision, mask: Bool = false) throws
        -> Measurement
    {
        var random = RandomStream(seed: 2026, purpose: "sparse-efficiency", elements, Int(density * 1000))
        let indices = randomPositions(elements: elements, density: density, random: &random)
        let payload: TensorPayload =
            mask
            ? .mask(shape: [elements], indices: indices)
            : .sparse(shape: [elements], indices: indices, values: indices.map { _ in random.nextFloat() - 0.5 })
        let frame = try TensorFrame(name: "w", payload: payload, precision: precision)
        return Measurement(
            elements: elements, density: density, precision: precision, kept: indices.count, encoding: frame.encoding,
            bytes: frame.byteLength, minimum: frame.analyticMinimumBytes)
    }

    @Test(arguments: sizes, [0.01, 0.1])
    func withinFivePercentOfTheAnalyticMinimum(elements: Int, density: Double) throws {
        for precision in [ValuePrecision.float32, .float16] {
            let measurement = try Self.measure(elements: elements, density: density, precision: precision)
            print("sparse efficiency: \(measurement)")
            #expect(measurement.ratio <= 1.05, "\(measurement)")
            #expect(measurement.ratio >= 1, "\(measurement)")
        }
        // A mask alone is all entropy, the hardest case: it still stays within 5%.
        let mask = try Self.measure(elements: elements, density: density, precision: .float32, mask: true)
        print("mask efficiency: \(mask)")
        #expect(mask.ratio <= 1.05, "\(mask)")
    }
}
