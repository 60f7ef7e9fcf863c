import OrchardTensor
import Testing

@testable import OrchardPayload

@Suite("Tensor payloads")
struct TensorPayloadTests {
    @Test func equalityComparesValueBitPatterns() {
        let nan = TensorPayload.sparse(shape: [4], indices: [1], values: [.nan])
        #expect(nan == nan)
        let positiveZero = TensorPayload.dense(Tensor(shape: [1], values: [0]))
        let negativeZero = TensorPayload.dense(Tensor(shape: [1], values: [-0.0]))
        #expect(positiveZero != negativeZero)
        #expect(TensorPayload.mask(shape: [4], indices: [1]) != .sparse(shape: [4], indices: [1], values: [0]))
    }

    @Test func unchangedMasksDifferByRoundAndDigest() {
        let held = TensorPayload.maskUnchanged(shape: [3, 3], sinceRound: 2, digest: 7)
        #expect(held == .maskUnchanged(shape: [3, 3], sinceRound: 2, digest: 7))
        #expect(held != .maskUnchanged(shape: [3, 3], sinceRound: 3, digest: 7))
        #expect(held != .maskUnchanged(shape: [3, 3], sinceRound: 2, digest: 8))
        #expect(held.shape == [3, 3])
    }
}
