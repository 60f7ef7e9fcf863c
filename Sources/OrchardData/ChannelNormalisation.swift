/// Turns the bytes of one image into normalised floats, one mean and standard deviation per channel.
///
/// `(byte / 255 - mean) / std` is rewritten as `byte * scale - offset` with
/// `scale = 1 / (255 * std)` and `offset = mean / std`, worked out once in double precision, so
/// that the per-feature work on the training path is one multiply and one subtract.
struct ChannelNormalisation: Sendable {
    /// The per-channel means the scale and offset were made from.
    let mean: [Float]
    /// The per-channel standard deviations the scale and offset were made from.
    let std: [Float]
    /// `1 / (255 * std[c])` for each channel `c`.
    let scale: [Float]
    /// `mean[c] / std[c]` for each channel `c`.
    let offset: [Float]
    /// The number of consecutive features that belong to one channel.
    let planeSize: Int

    /// Prepares the normalisation of samples of `featuresPerSample` bytes split evenly into
    /// `mean.count` channel planes.
    init(mean: [Float], std: [Float], featuresPerSample: Int, datasetName: String) {
        precondition(!mean.isEmpty, "\(datasetName): no channel means given")
        precondition(
            mean.count == std.count,
            "\(datasetName): \(mean.count) channel means but \(std.count) standard deviations")
        precondition(
            featuresPerSample % mean.count == 0,
            "\(datasetName): \(featuresPerSample) features do not split into \(mean.count) channels")
        precondition(
            std.allSatisfy { $0 > 0 && $0.isFinite },
            "\(datasetName): standard deviations must be positive, not \(std)")
        self.mean = mean
        self.std = std
        scale = std.map { Float(1.0 / (255.0 * Double($0))) }
        offset = zip(mean, std).map { Float(Double($0) / Double($1)) }
        planeSize = featuresPerSample / mean.count
    }

    /// Writes the normalised features of the sample whose bytes start at `source`.
    @inline(__always)
    func apply(from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<Float>) {
        scale.withUnsafeBufferPointer { scales in
            offset.withUnsafeBufferPointer { offsets in
                for channel in 0..<scales.count {
                    let channelScale = scales[channel]
                    let channelOffset = offsets[channel]
                    let input = source + channel * planeSize
                    let output = destination + channel * planeSize
                    for feature in 0..<planeSize {
                        output[feature] = Float(input[feature]) * channelScale - channelOffset
                    }
                }
            }
        }
    }
}
