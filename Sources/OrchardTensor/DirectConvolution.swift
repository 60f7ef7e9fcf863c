/// A register-blocked direct convolution over zero-padded planes, for layers with few input channels.
///
/// The input is a padded buffer [Cin][N][Hp x Wp] (as `Conv2d`'s wide rows make it) with at least
/// `tail` spare values after the last plane. Output position (y, x) of a k x k, stride-1 window
/// reads padded[(y + u) * Wp + x + v], so for a fixed (u, v) a run of 32 outputs of one row is 32
/// consecutive padded values. The forward pass keeps 2 output channels x 32 positions in eight
/// SIMD8 accumulators and adds one broadcast weight times one shifted input vector per (c, u, v);
/// the weight gradient keeps 2 output channels x 5 window columns in ten accumulators over a row
/// of dY. Neither forms a column matrix: with one input channel (LeNet-5's conv1) the columns are
/// 25 times the input, and their GEMM has only 6 rows.
public enum DirectConvolution {
    /// Spare values a padded buffer needs after its last plane: the last run of 32 positions reads
    /// up to 31 values past the last row's end.
    public static let tail = 32

    /// The sizes of one direct convolution.
    public struct Shape: Sendable {
        public let inputChannels: Int
        public let outputChannels: Int
        public let batch: Int
        public let kernel: Int
        public let paddedWidth: Int
        public let paddedPlane: Int
        public let outputHeight: Int
        public let outputWidth: Int

        public init(
            inputChannels: Int, outputChannels: Int, batch: Int, kernel: Int, paddedWidth: Int, paddedPlane: Int,
            outputHeight: Int, outputWidth: Int
        ) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.batch = batch
            self.kernel = kernel
            self.paddedWidth = paddedWidth
            self.paddedPlane = paddedPlane
            self.outputHeight = outputHeight
            self.outputWidth = outputWidth
        }

        var patchSize: Int { inputChannels * kernel * kernel }
        var outputPlane: Int { outputHeight * outputWidth }
    }

    /// Whether the kernels handle a shape: an even number of output channels (they work in pairs)
    /// and, for the weight gradient, a 5 x 5 window (its accumulators are one window row).
    public static func supports(outputChannels: Int, kernel: Int) -> Bool {
        outputChannels % 2 == 0 && kernel == 5
    }

    /// Writes output [Cout][N][Ho x Wo] = weights [Cout, Cin * k * k] applied to `padded`, plus `bias`.
    public static func forward(
        _ padded: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, shape s: Shape,
        into output: UnsafeMutablePointer<Float>
    ) {
        let (k, patch, width) = (s.kernel, s.patchSize, s.paddedWidth)
        var pair = 0
        while pair < s.outputChannels {
            let (first, second) = (weights + pair &* patch, weights + (pair &+ 1) &* patch)
            let start0 = SIMD8<Float>(repeating: bias?[pair] ?? 0)
            let start1 = SIMD8<Float>(repeating: bias?[pair &+ 1] ?? 0)
            for sample in 0..<s.batch {
                let target0 = output + (pair &* s.batch &+ sample) &* s.outputPlane
                let target1 = target0 + s.batch &* s.outputPlane
                for row in 0..<s.outputHeight {
                    var x = 0
                    while x < s.outputWidth {
                        var (a0, a1, a2, a3) = (start0, start0, start0, start0)
                        var (b0, b1, b2, b3) = (start1, start1, start1, start1)
                        for channel in 0..<s.inputChannels {
                            let start: Int = (channel &* s.batch &+ sample) &* s.paddedPlane &+ row &* width &+ x
                            let plane = padded + start
                            var entry = channel &* k &* k
                            for u in 0..<k {
                                let line = plane + u &* width
                                for v in 0..<k {
                                    let p = line + v
                                    let (i0, i1, i2, i3) = (load(p), load(p + 8), load(p + 16), load(p + 24))
                                    let w0 = SIMD8<Float>(repeating: first[entry])
                                    let w1 = SIMD8<Float>(repeating: second[entry])
                                    a0.addProduct(i0, w0)
                                    a1.addProduct(i1, w0)
                                    a2.addProduct(i2, w0)
                                    a3.addProduct(i3, w0)
                                    b0.addProduct(i0, w1)
                                    b1.addProduct(i1, w1)
                                    b2.addProduct(i2, w1)
                                    b3.addProduct(i3, w1)
                                    entry &+= 1
                                }
                            }
                        }
                        let valid = min(32, s.outputWidth &- x)
                        let line = row &* s.outputWidth &+ x
                        storeRun(a0, a1, a2, a3, target0 + line, valid: valid)
                        storeRun(b0, b1, b2, b3, target1 + line, valid: valid)
                        x &+= 32
                    }
                }
            }
            pair &+= 2
        }
    }

    /// Writes dW [Cout, Cin * 5 * 5] = sum over samples and outputs of dY times the shifted input.
    ///
    /// Lane-wise partial sums live in a stack scratch across samples (so one sample's dY and input
    /// stay in L1 while every weight visits them) and are summed across lanes once at the end.
    public static func weightGradient(
        _ padded: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, shape s: Shape,
        into gradient: UnsafeMutablePointer<Float>
    ) {
        precondition(supports(outputChannels: s.outputChannels, kernel: s.kernel))
        let (k, patch, width) = (s.kernel, s.patchSize, s.paddedWidth)
        let vectors = (s.outputWidth &+ 7) / 8
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: s.outputChannels * patch) { lanes in
            let lanes = lanes.baseAddress!
            lanes.initialize(repeating: SIMD8(), count: s.outputChannels * patch)
            for sample in 0..<s.batch {
                var pair = 0
                while pair < s.outputChannels {
                    let gradient0 = outputGradient + (pair &* s.batch &+ sample) &* s.outputPlane
                    let gradient1 = gradient0 + s.batch &* s.outputPlane
                    for channel in 0..<s.inputChannels {
                        let plane = padded + (channel &* s.batch &+ sample) &* s.paddedPlane
                        // The accumulators run over the window's rows u for one column v, so
                        // the five inputs are five rows apart: adjacent shifts (over v) were
                        // merged by the compiler into shuffles and spilled registers, and ran
                        // slower than the GEMM.
                        for v in 0..<k {
                            let entry: Int = channel &* k &* k &+ v
                            let sums0: UnsafeMutablePointer<SIMD8<Float>> = lanes + (pair &* patch &+ entry)
                            let sums1 = sums0 + patch
                            var (a0, a1, a2, a3, a4) = (sums0[0], sums0[k], sums0[2 &* k], sums0[3 &* k], sums0[4 &* k])
                            var (b0, b1, b2, b3, b4) = (sums1[0], sums1[k], sums1[2 &* k], sums1[3 &* k], sums1[4 &* k])
                            for row in 0..<s.outputHeight {
                                let input = plane + (row &* width &+ v)
                                let line = row &* s.outputWidth
                                for vector in 0..<vectors {
                                    let x = vector &* 8
                                    let valid = min(8, s.outputWidth &- x)
                                    let g0 = loadPartial(gradient0 + (line &+ x), valid: valid)
                                    let g1 = loadPartial(gradient1 + (line &+ x), valid: valid)
                                    let p = input + x
                                    var shifted = load(p)
                                    a0.addProduct(g0, shifted)
                                    b0.addProduct(g1, shifted)
                                    shifted = load(p + width)
                                    a1.addProduct(g0, shifted)
                                    b1.addProduct(g1, shifted)
                                    shifted = load(p + 2 &* width)
                                    a2.addProduct(g0, shifted)
                                    b2.addProduct(g1, shifted)
                                    shifted = load(p + 3 &* width)
                                    a3.addProduct(g0, shifted)
                                    b3.addProduct(g1, shifted)
                                    shifted = load(p + 4 &* width)
                                    a4.addProduct(g0, shifted)
                                    b4.addProduct(g1, shifted)
                                }
                            }
                            (sums0[0], sums0[k], sums0[2 &* k], sums0[3 &* k], sums0[4 &* k]) = (a0, a1, a2, a3, a4)
                            (sums1[0], sums1[k], sums1[2 &* k], sums1[3 &* k], sums1[4 &* k]) = (b0, b1, b2, b3, b4)
                        }
                    }
                    pair &+= 2
                }
            }
            for index in 0..<(s.outputChannels * patch) { gradient[index] = lanes[index].sum() }
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Eight values, or the first `valid` of them and zeros, without reading past them.
    @inline(__always)
    private static func loadPartial(_ pointer: UnsafePointer<Float>, valid: Int) -> SIMD8<Float> {
        if valid == 8 { return load(pointer) }
        if valid == 4 {
            return SIMD8(lowHalf: UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self), highHalf: SIMD4())
        }
        var value = SIMD8<Float>()
        for lane in 0..<valid { value[lane] = pointer[lane] }
        return value
    }

    /// Stores the first `valid` of 32 positions held in four vectors.
    @inline(__always)
    private static func storeRun(
        _ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>,
        _ target: UnsafeMutablePointer<Float>, valid: Int
    ) {
        let vectors = (v0, v1, v2, v3)
        withUnsafeBytes(of: vectors) { bytes in
            let values = bytes.baseAddress!.assumingMemoryBound(to: Float.self)
            var i = 0
            while i &+ 8 <= valid {
                UnsafeMutableRawPointer(target + i).storeBytes(
                    of: UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                i &+= 8
            }
            while i < valid {
                target[i] = values[i]
                i &+= 1
            }
        }
    }
}

extension SIMD8 where Scalar == Float {
    /// self += a * b as one fused multiply-add per lane.
    @inline(__always)
    mutating func addProduct(_ a: SIMD8<Float>, _ b: SIMD8<Float>) { self = addingProduct(a, b) }
}
