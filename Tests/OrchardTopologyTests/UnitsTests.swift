import OrchardFormat
import OrchardTopology
import Testing

/// Quantities with units: what each parser accepts, the exact value it gives, and what its
/// errors say about what was written and what was expected.
@Suite("Units")
struct UnitsTests {
    @Test(
        "byte sizes: SI prefixes are powers of 1000, IEC prefixes powers of 1024",
        arguments: [
            ("2048", 2048), ("2048B", 2048), ("512KiB", 524_288), ("4MB", 4_000_000), ("4MiB", 4_194_304),
            ("1.5GiB", 1_610_612_736), ("3kB", 3000), ("3KB", 3000), ("2TB", 2_000_000_000_000),
            ("1TiB", 1_099_511_627_776), ("4 MB", 4_000_000), (" 64KiB ", 65_536), ("1_000B", 1000),
            ("0.5KiB", 512), ("1e3B", 1000), ("-4MB", -4_000_000), ("1.1KiB", 1126),
        ])
    func goodBytes(_ text: String, _ expected: Int) throws {
        #expect(try Units.bytes(text) == expected)
    }

    @Test(
        "bad byte sizes say what was written, why, and what to write",
        arguments: [
            ("4Mb", ["'4Mb' is in bits", "megabits", "write 4MB"]),
            ("4M", ["lacks the B of bytes", "4MB (powers of 1000)", "4MiB (powers of 1024)"]),
            ("4Ki", ["4KB", "4KiB"]),
            ("4mb", ["did you mean 4MB?", "expected e.g. 512KiB, 4MB, 1.5GiB"]),
            ("4MiBs", ["did you mean 4MiB?"]),
            ("lots", ["'lots' is not a byte size", "expected e.g. 512KiB"]),
            ("MB", ["'MB' is not a byte size"]),
            ("4 parsecs", ["'4 parsecs' is not a byte size"]),
            ("1e30TB", ["too large"]),
        ])
    func badBytes(_ text: String, _ mentions: [String]) {
        expectError(mentions) { () throws(UnitError) in _ = try Units.bytes(text) }
    }

    @Test(
        "bit rates in bits per second; bytes per second only with /s",
        arguments: [
            ("5Mbps", 5e6), ("100kbps", 1e5), ("100Kbps", 1e5), ("1Gbps", 1e9), ("20 Mbit/s", 2e7), ("20Mb/s", 2e7),
            ("2MB/s", 1.6e7), ("1KiB/s", 8192), ("9600bps", 9600), ("1.5Tbps", 1.5e12), ("0.5Mbps", 5e5),
        ])
    func goodBitRates(_ text: String, _ expected: Double) throws {
        #expect(isClose(try Units.bitRate(text), expected))
    }

    @Test(
        "bad bit rates",
        arguments: [
            ("5Mbs", ["'5Mbs' is not a bit rate", "did you mean 5Mbps?", "expected e.g. 5Mbps, 100kbps, 1Gbps"]),
            ("5mbps", ["did you mean 5Mbps?"]),
            ("5", ["'5' has no unit", "bits and bytes"]),
            ("5MBps", ["ambiguous", "5MB/s", "5Mbps"]),
            ("fast", ["'fast' is not a bit rate"]),
        ])
    func badBitRates(_ text: String, _ mentions: [String]) {
        expectError(mentions) { () throws(UnitError) in _ = try Units.bitRate(text) }
    }

    @Test(
        "durations in seconds",
        arguments: [
            ("40ms", 0.04), ("2s", 2), ("1.5min", 90), ("250us", 250e-6), ("250µs", 250e-6), ("1h", 3600),
            ("100ns", 1e-7), ("0", 0), ("0.25 s", 0.25),
        ])
    func goodDurations(_ text: String, _ expected: Double) throws {
        #expect(isClose(try Units.duration(text), expected))
    }

    @Test(
        "bad durations",
        arguments: [
            ("40", ["'40' has no unit", "40s or 40ms"]),
            ("2m", ["ambiguous", "2min", "2ms"]),
            ("2sec", ["'2sec' is not a duration", "expected e.g. 40ms, 2s, 1.5min"]),
            ("2MS", ["did you mean 2ms?"]),
            ("soon", ["'soon' is not a duration"]),
        ])
    func badDurations(_ text: String, _ mentions: [String]) {
        expectError(mentions) { () throws(UnitError) in _ = try Units.duration(text) }
    }

    @Test(
        "FLOP rates, whatever the case of the unit",
        arguments: [
            ("2GFLOPS", 2e9), ("500MFLOPS", 5e8), ("1.2TFLOPS", 1.2e12), ("2 GFLOP/s", 2e9), ("2gflops", 2e9),
            ("3kFLOPS", 3e3), ("1PFLOPS", 1e15), ("7FLOPS", 7),
        ])
    func goodFLOPRates(_ text: String, _ expected: Double) throws {
        #expect(isClose(try Units.flopRate(text), expected))
    }

    @Test(
        "bad FLOP rates",
        arguments: [
            ("2GFLOP", ["'2GFLOP' is not a compute speed", "did you mean 2GFLOPS?"]),
            ("2", ["'2' has no unit", "2GFLOPS"]),
            ("2GHz", ["is not a compute speed", "expected e.g. 2GFLOPS, 500MFLOPS or 1.2TFLOPS"]),
        ])
    func badFLOPRates(_ text: String, _ mentions: [String]) {
        expectError(mentions) { () throws(UnitError) in _ = try Units.flopRate(text) }
    }

    @Test("fractions and percentages", arguments: [("0.9", 0.9), ("90%", 0.9), ("1", 1.0), ("12.5 %", 0.125)])
    func goodFractions(_ text: String, _ expected: Double) throws {
        #expect(isClose(try Units.fraction(text), expected))
    }

    @Test("bad fractions", arguments: ["ninety", "90 percent", "0.9x", ".", "1e"])
    func badFractions(_ text: String) {
        expectError(["'\(text)' is not a fraction", "expected e.g. 0.9 or 90%"]) { () throws(UnitError) in
            _ = try Units.fraction(text)
        }
    }

    @Test("formatting writes what the parsers read back")
    func formatting() throws {
        #expect(try Units.bytes(ByteFormat.topology(524_288)) == 524_288)
        #expect(try Units.bytes(ByteFormat.topology(4_000_000)) == 4_000_000)
        #expect(try Units.bytes(ByteFormat.topologyRoundedUp(740_472)) >= 740_472)
        #expect(UnitFormat.bitRate(5e6) == "5Mbps")
        #expect(UnitFormat.bitRate(1.5e9) == "1.5Gbps")
        #expect(UnitFormat.duration(0.04) == "40ms")
        #expect(UnitFormat.duration(90) == "1.5min")
        #expect(UnitFormat.duration(250e-6) == "250us")
        #expect(UnitFormat.flopRate(2e8) == "200MFLOPS")
        #expect(UnitFormat.percent(0.75) == "75%")
        #expect(UnitFormat.count(61_706) == "61,706")
        for text in ["512KiB", "4MB", "2GiB"] { #expect(ByteFormat.topology(try Units.bytes(text)) == text) }
    }

    /// Whether two values agree to within rounding of their last digits.
    private func isClose(_ value: Double, _ expected: Double) -> Bool {
        abs(value - expected) <= 1e-12 * max(1, abs(expected))
    }

    /// Expects `body` to throw a `UnitError` whose description mentions every piece of `mentions`.
    private func expectError(
        _ mentions: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(UnitError) -> Void
    ) {
        do {
            try body()
            Issue.record("no error; expected one mentioning \(mentions)", sourceLocation: sourceLocation)
        } catch {
            for mention in mentions {
                #expect(
                    error.description.contains(mention), "\"\(mention)\" not in: \(error)",
                    sourceLocation: sourceLocation)
            }
        }
    }
}
