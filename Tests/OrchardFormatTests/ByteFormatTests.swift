import Testing

@testable import OrchardFormat

@Suite("Byte formats")
struct ByteFormatTests {
    @Test func binaryTextForPeople() {
        #expect(ByteFormat.binary(0) == "0 B")
        #expect(ByteFormat.binary(1023) == "1023 B")
        #expect(ByteFormat.binary(1024) == "1.0 KiB")
        #expect(ByteFormat.binary(12_897_485) == "12.3 MiB")
        #expect(ByteFormat.binary(3 << 30) == "3.0 GiB")
        #expect(ByteFormat.binary(5 << 40) == "5.0 TiB")
        #expect(ByteFormat.binary(-2048) == "-2.0 KiB")
    }

    @Test func topologyTextIsExactWhenItCanBe() {
        #expect(ByteFormat.topology(524_288) == "512KiB")
        #expect(ByteFormat.topology(4_000_000) == "4MB")
        #expect(ByteFormat.topology(1 << 30) == "1GiB")
        #expect(ByteFormat.topology(246_824) == "241.0KiB")
        #expect(ByteFormat.topology(100) == "100B")
        #expect(ByteFormat.topology(0) == "0B")
    }

    @Test func roundedUpNeverUnderstates() {
        #expect(ByteFormat.topologyRoundedUp(740_472) == "723.2KiB")
        #expect(ByteFormat.topologyRoundedUp(1 << 20) == "1MiB")
        #expect(ByteFormat.topologyRoundedUp(1000) == "1000B")
    }
}
