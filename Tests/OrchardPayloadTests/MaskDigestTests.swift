import Testing

@testable import OrchardPayload

@Suite("Mask digests")
struct MaskDigestTests {
    @Test func digestsFollowShapeAndPositions() {
        // FNV-1a 64 of no bytes is its offset basis; the test vectors are those of the FNV reference.
        #expect(MaskDigest.of(shape: [], positions: []) == 0xcbf2_9ce4_8422_2325)
        let digest = MaskDigest.of(shape: [100], positions: [3, 4, 40])
        #expect(digest == MaskDigest.of(shape: [100], positions: [3, 4, 40]))
        #expect(digest != MaskDigest.of(shape: [100], positions: [3, 4, 41]))
        #expect(digest != MaskDigest.of(shape: [10, 10], positions: [3, 4, 40]))
        #expect(MaskDigest.hex(0xab) == "00000000000000ab")
    }
}
