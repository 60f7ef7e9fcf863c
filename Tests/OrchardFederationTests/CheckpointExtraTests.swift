import OrchardData
import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("Checkpointed masks")
struct CheckpointExtraTests {
    /// A dynamic-mask run checkpointed after its masks moved and resumed on a fresh server ends
    /// where the uninterrupted run ends: the masks are restored before the values.
    @Test func resumedDynamicMaskRunEndsWhereTheUninterruptedOneEnds() throws {
        let setup = DynamicMaskHarness.setup([:])
        let clients = try DynamicMaskHarness.clients()
        let host = try FedDSTClient(setup: setup)
        let whole = try FedDSTServer(setup: setup)
        let initial = whole.global.masks
        try DynamicMaskHarness.run(whole, rounds: 1...3, clients: clients, host: { _ in host })
        #expect(whole.global.masks != initial, "the masks moved by round 3")
        let extra = whole.checkpointExtra()
        let values = ParameterArchive(whole.global)
        try DynamicMaskHarness.run(whole, rounds: 4...5, clients: clients, host: { _ in host })

        let resumed = try FedDSTServer(setup: setup)
        try resumed.restore(checkpointExtra: extra)
        try ParameterArchive(entries: values.entries, values: values.values).load(into: resumed.global)
        #expect(resumed.global.masks == (try MaskArchive.decode(extra!)))
        try DynamicMaskHarness.run(resumed, rounds: 4...5, clients: clients, host: { _ in host })
        #expect(ParameterArchive(resumed.global).values == ParameterArchive(whole.global).values)
        #expect(resumed.global.masks == whole.global.masks)
    }

    @Test func damagedMaskBytesAreAnError() {
        #expect(throws: ArchiveError.self) { try MaskArchive.decode([3, 0, 0, 0, 65]) }
        #expect(throws: ArchiveError.self) { try MaskArchive.decode([1, 0, 0, 0, 65, 9, 0, 0, 0, 1, 0, 0, 0]) }
        #expect((try? MaskArchive.decode([])) == [:])
    }
}
