/// Elementwise kernels over raw buffers, written so that the compiler vectorises them.
///
/// Each takes its length as a plain integer and its operands as pointers, which keeps class
/// property reads and retain/release traffic out of the loops.
public enum Elementwise {
    /// y = max(x, 0).
    public static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let value = load(x + i)
            store(value.replacing(with: 0, where: value .<= 0), y + i)
            i += 16
        }
        while i < count {
            y[i] = x[i] > 0 ? x[i] : 0
            i += 1
        }
    }

    /// dx = dy where y > 0, else 0.
    public static func reluBackward(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        // Written with explicit vectors: a scalar loop that loads dy only where y > 0 compiles to
        // a mispredicted branch per element.
        var i = 0
        while i + 16 <= count {
            store(load(dy + i).replacing(with: 0, where: load(y + i) .<= 0), dx + i)
            i += 16
        }
        while i < count {
            dx[i] = y[i] > 0 ? dy[i] : 0
            i += 1
        }
    }

    /// One SGD step with momentum: v = momentum * v + g + decay * p; p -= rate * v.
    public static func momentumStep(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>,
        rate: Float, momentum: Float, decay: Float, count: Int
    ) {
        var i = 0
        while i &+ 16 <= count {
            let parameter = load(p + i)
            let velocity = momentum * load(v + i) + load(g + i) + decay * parameter
            store(velocity, v + i)
            store(parameter - rate * velocity, p + i)
            i &+= 16
        }
        while i < count {
            v[i] = momentum * v[i] + g[i] + decay * p[i]
            p[i] -= rate * v[i]
            i &+= 1
        }
    }

    /// z = x + y.
    public static func add(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { z[i] = x[i] + y[i] }
    }

    /// The sum of `count` values.
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        // Sixteen partial sums let the loop use vector lanes without reassociating one accumulator.
        var partial = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            partial += load(x + i)
            i += 16
        }
        var total = partial.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) static func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
    }

}
