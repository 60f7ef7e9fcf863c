import COrchardZlib
import Foundation

/// A PNG decoded just enough to look at its pixels: 8-bit RGB or RGBA, not interlaced, which is
/// what Chromium writes for screenshots.
struct PNGImage {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let width: Int
    let height: Int
    /// Bytes per pixel: 3 (RGB) or 4 (RGBA).
    let channels: Int
    /// The unfiltered rows, `width * channels` bytes each.
    let pixels: [UInt8]

    init(contentsOf path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 8, bytes.prefix(8).elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else {
            throw Failure(description: "\(path) is not a PNG file")
        }
        var offset = 8
        var header: [UInt8] = []
        var compressed: [UInt8] = []
        while offset + 8 <= bytes.count {
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            guard offset + 12 + length <= bytes.count else { throw Failure(description: "\(path): truncated chunk") }
            let body = Array(bytes[offset + 8..<offset + 8 + length])
            if type == "IHDR" { header = body }
            if type == "IDAT" { compressed += body }
            offset += 12 + length
        }
        guard header.count == 13 else { throw Failure(description: "\(path): no IHDR chunk") }
        func big(_ range: Range<Int>) -> Int { header[range].reduce(0) { $0 << 8 | Int($1) } }
        width = big(0..<4)
        height = big(4..<8)
        guard header[8] == 8, header[9] == 2 || header[9] == 6, header[12] == 0 else {
            throw Failure(description: "\(path): bit depth \(header[8]), colour type \(header[9]) not handled")
        }
        channels = header[9] == 6 ? 4 : 3
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var size = uLongf(raw.count)
        let status = compressed.withUnsafeBufferPointer { source in
            raw.withUnsafeMutableBufferPointer { target in
                uncompress(target.baseAddress, &size, source.baseAddress, uLong(source.count))
            }
        }
        guard status == Z_OK, Int(size) == raw.count else {
            throw Failure(description: "\(path): zlib status \(status), \(size) of \(raw.count) bytes")
        }
        pixels = try Self.unfilter(raw, height: height, stride: stride, channels: channels)
    }

    /// Undoes PNG's per-row filters (none, sub, up, average, Paeth).
    private static func unfilter(_ raw: [UInt8], height: Int, stride: Int, channels: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let value = raw[row * (stride + 1) + 1 + column]
                let left = column >= channels ? Int(out[row * stride + column - channels]) : 0
                let up = row > 0 ? Int(out[(row - 1) * stride + column]) : 0
                let corner = row > 0 && column >= channels ? Int(out[(row - 1) * stride + column - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let estimate = left + up - corner
                    let (a, b, c) = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
                    predictor = a <= b && a <= c ? left : (b <= c ? up : corner)
                default: throw PNGImage.Failure(description: "unknown PNG filter \(filter)")
                }
                out[row * stride + column] = UInt8(truncatingIfNeeded: Int(value) + predictor)
            }
        }
        return out
    }

    /// The number of distinct colours among the pixels (alpha ignored).
    var distinctColors: Int {
        var seen = Set<UInt32>()
        for index in Swift.stride(from: 0, to: pixels.count, by: channels) {
            seen.insert(UInt32(pixels[index]) << 16 | UInt32(pixels[index + 1]) << 8 | UInt32(pixels[index + 2]))
        }
        return seen.count
    }

    /// The fraction of pixels that are neither white nor the page's near-white background.
    var inkedFraction: Double {
        var inked = 0
        for index in Swift.stride(from: 0, to: pixels.count, by: channels)
        where pixels[index] < 240 || pixels[index + 1] < 240 || pixels[index + 2] < 240 {
            inked += 1
        }
        return Double(inked) / Double(max(1, width * height))
    }
}
