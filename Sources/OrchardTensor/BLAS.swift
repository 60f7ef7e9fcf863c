import COrchardBLAS

/// The OpenBLAS calls Orchard uses, over raw row-major pointers.
public enum BLAS {
    /// Sets how many threads OpenBLAS may use in this process.
    ///
    /// Client processes share the cores, so Orchard asks for one unless told otherwise.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// The number of threads OpenBLAS uses now.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The OpenBLAS kernel family picked for this CPU, such as `SkylakeX`.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// C = alpha * op(A) * op(B) + beta * C, row-major, with explicit leading dimensions.
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
