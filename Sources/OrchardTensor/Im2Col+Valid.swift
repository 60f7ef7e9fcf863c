/// Unfolding and folding without padding at stride 1, where every window lies inside the image.
///
/// Each column row of a sample is then Ho lines of Wo values with no zero margins, and the general
/// path's setup per (channel, offset, sample) plane (two spans, margins, a stride test) cost more
/// than the copying itself: LeNet-5's conv2 writes 9,600 such planes of 10 lines of 10 values per
/// unfold, and perf put `unfold` at 20% of a step. These loops keep only the line copies.
extension Im2Col {
    /// Whether `g` takes the loops of this file: stride 1, no padding, lines of at least 8 values.
    static func isValidOnly(_ g: ConvolutionGeometry) -> Bool {
        g.stride == 1 && g.padding == 0 && g.outputWidth >= 8
    }

    /// `unfold` for `isValidOnly` geometries; lines are copied with eight-wide moves, the last one
    /// ending at the line's end and overlapping the one before.
    static func unfoldValid(
        _ input: UnsafePointer<Float>, batch: Int, first: Int, count: Int, geometry g: ConvolutionGeometry,
        into columns: UnsafeMutablePointer<Float>
    ) {
        let (width, outputWidth, plane) = (g.width, g.outputWidth, g.outputPlane)
        let last = outputWidth &- 8
        var row = 0
        for channel in 0..<g.channels {
            let planes = input + (channel &* batch &+ first) &* g.inputPlane
            for kernelRow in 0..<g.kernelHeight {
                for kernelColumn in 0..<g.kernelWidth {
                    let target = columns + row &* count &* plane
                    for sample in 0..<count {
                        var source = planes + (sample &* g.inputPlane &+ kernelRow &* width &+ kernelColumn)
                        var line = target + sample &* plane
                        for _ in 0..<g.outputHeight {
                            var i = 0
                            while i < last {
                                move(source + i, line + i)
                                i &+= 8
                            }
                            move(source + last, line + last)
                            source += width
                            line += outputWidth
                        }
                    }
                    row &+= 1
                }
            }
        }
    }

    /// `fold` for `isValidOnly` geometries, adding in the same order as the general path.
    static func foldValid(
        _ columns: UnsafePointer<Float>, batch: Int, first: Int, count: Int, geometry g: ConvolutionGeometry,
        into gradient: UnsafeMutablePointer<Float>
    ) {
        let (width, outputWidth, plane) = (g.width, g.outputWidth, g.outputPlane)
        var row = 0
        for channel in 0..<g.channels {
            let planes = gradient + (channel &* batch &+ first) &* g.inputPlane
            for kernelRow in 0..<g.kernelHeight {
                for kernelColumn in 0..<g.kernelWidth {
                    let source = columns + row &* count &* plane
                    for sample in 0..<count {
                        var target = planes + (sample &* g.inputPlane &+ kernelRow &* width &+ kernelColumn)
                        var line = source + sample &* plane
                        for _ in 0..<g.outputHeight {
                            addLine(line, target, count: outputWidth)
                            target += width
                            line += outputWidth
                        }
                    }
                    row &+= 1
                }
            }
        }
    }

    /// target[0..<count] += source[0..<count] with eight-, four- and two-wide adds.
    @inline(__always)
    private static func addLine(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            let sum =
                UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD8<Float>.self)
            i &+= 8
        }
        if i &+ 4 <= count {
            let sum =
                UnsafeRawPointer(target + i).loadUnaligned(as: SIMD4<Float>.self)
                + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD4<Float>.self)
            i &+= 4
        }
        if i &+ 2 <= count {
            let sum =
                UnsafeRawPointer(target + i).loadUnaligned(as: SIMD2<Float>.self)
                + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD2<Float>.self)
            UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD2<Float>.self)
            i &+= 2
        }
        if i < count { target[i] += source[i] }
    }

    @inline(__always)
    private static func move(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(target).storeBytes(
            of: UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
    }
}
