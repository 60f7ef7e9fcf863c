import OrchardData
import OrchardTensor
import OrchardTopology
import Testing

@testable import OrchardRuntime

@Suite("Runtime parts")
struct RuntimePartsTests {
    @Test func samplingIsSeededWithoutReplacementAndSorted() {
        let profiles = (0..<20).map { ClientProfile(id: $0) }
        let sampler = ClientSampler(seed: 5, profiles: profiles, perRound: 6)
        let first = sampler.sample(round: 3)
        #expect(first.count == 6)
        #expect(Set(first).count == 6)
        #expect(first == first.sorted())
        #expect(sampler.sample(round: 3) == first)
        #expect((0..<10).map { sampler.sample(round: $0) }.contains { $0 != first })
        #expect(ClientSampler(seed: 5, profiles: profiles, perRound: 50).sample(round: 0) == Array(0..<20))
    }

    @Test func availabilityThinsTheOnlineClients() {
        let profiles = (0..<400).map { ClientProfile(id: $0, availability: 0.25) }
        let sampler = ClientSampler(seed: 9, profiles: profiles, perRound: 400)
        let online = sampler.available(round: 1).count
        // Binomial(400, 0.25): mean 100, standard deviation about 8.7.
        #expect(online > 60 && online < 140)
        #expect(sampler.available(round: 1).count == online)
    }

    @Test func virtualClockAddsLatencyTransfersAndCompute() {
        let profile = ClientProfile(
            id: 0, uplinkBitsPerSecond: 1e6, downlinkBitsPerSecond: 4e6, latencySeconds: 0.05, flopsPerSecond: 1e9)
        // Down: 500,000 B are 345 segments of 1,448 B and one of 440, each with 66 B of headers, a
        // segment 1,514 * 8 / 4e6 = 3.028 ms; windows of 10 and 20 segments last less than the
        // 0.1 s round trip, so slow start costs two round trips before the rest flows:
        // 0.05 + 0.2 + 315 * 0.003028 + 506 * 8 / 4e6 = 1.204832.
        // Up: 172 segments and one of 944 B, 12.112 ms each at 1e6: the first window already
        // fills the round trip: 0.05 + 172 * 0.012112 + 1,010 * 8 / 1e6 = 2.141344. Compute: 2.
        let seconds = VirtualClock.taskSeconds(profile: profile, bytesDown: 500_000, bytesUp: 250_000, flops: 2e9)
        #expect(abs(seconds - (1.204832 + 2.141344 + 2)) < 1e-9)
        #expect(VirtualClock.roundSeconds(included: [1, 3, 2], droppedAtDeadline: false, deadline: 10) == 3)
        #expect(VirtualClock.roundSeconds(included: [1, 3], droppedAtDeadline: true, deadline: 10) == 10)
        let unlimited = ClientProfile(
            id: 1, uplinkBitsPerSecond: .infinity, downlinkBitsPerSecond: .infinity, flopsPerSecond: .infinity)
        #expect(VirtualClock.taskSeconds(profile: unlimited, bytesDown: 10, bytesUp: 10, flops: 10) == 0)
    }

    @Test func transfersCountHeadersLatencyAndSlowStart() {
        // Without latency a transfer is its bytes with one header per segment at the rate.
        let flat = VirtualClock.transferSeconds(bytes: 1448 * 100, bitsPerSecond: 1e6, latency: 0)
        #expect(abs(flat - Double(1514 * 100 * 8) / 1e6) < 1e-12)
        #expect(VirtualClock.transferSeconds(bytes: 0, bitsPerSecond: 1e6, latency: 0.5) == 0)
        #expect(VirtualClock.transferSeconds(bytes: 10, bitsPerSecond: .infinity, latency: 0.5) == 0.5)
        // One small message: a latency and its one segment.
        let small = VirtualClock.transferSeconds(bytes: 100, bitsPerSecond: 1e6, latency: 0.04)
        #expect(abs(small - (0.04 + Double(166 * 8) / 1e6)) < 1e-12)
        // A long round trip on a fast link: slow start's round trips dominate, and more bytes never take less time.
        let long = VirtualClock.transferSeconds(bytes: 200_000, bitsPerSecond: 100e6, latency: 0.1)
        #expect(long > 0.1 + 3 * 0.2)
        var previous = 0.0
        for bytes in stride(from: 0, through: 400_000, by: 1_000) {
            let seconds = VirtualClock.transferSeconds(bytes: bytes, bitsPerSecond: 20e6, latency: 0.04)
            #expect(seconds >= previous)
            previous = seconds
        }
    }

    @Test func clientLists() throws {
        let ranges = try ClientRanges.parse("9-10,0-3,7, 12")
        #expect(ranges.ranges == [0...3, 7...7, 9...10, 12...12])
        #expect(ranges.ids == [0, 1, 2, 3, 7, 9, 10, 12])
        #expect(ranges.description == "0-3,7,9-10,12")
        #expect([0, 3, 7, 10, 12].allSatisfy(ranges.contains))
        #expect(![4, 8, 11, 13, -1].contains(where: ranges.contains))
        for text in ["5-2", "a", "", "3,", "-1", "1-", "1-2-3"] {
            #expect(throws: RuntimeError.self, "'\(text)'") { try ClientRanges.parse(text) }
        }
    }

    @Test func overlappingClientRanges() throws {
        for (text, overlap) in [("0-5,3-11", "0-5 and 3-11 overlap (3-5 named twice)"), ("4,0-9", "0-9 and 4 overlap")]
        {
            #expect {
                try ClientRanges.parse(text)
            } throws: { error in
                "\(error)".contains(overlap)
            }
        }
    }

    @Test func hugeClientRangesCostNothingUntilListed() throws {
        let ranges = try ClientRanges.parse("0-99999999999,100000000000-\(Int.max)")
        // Adjacent ranges merge.
        #expect(ranges.beyond(4) == ["4-\(Int.max)"])
        #expect(ranges.contains(Int.max) && !ranges.contains(-5))
        #expect(try ClientRanges.parse("0-3").beyond(4).isEmpty)
    }
}

@Suite("Run data")
struct RunDataTests {
    /// The server's labelled set is drawn from the training split: the coordinator keeps it only
    /// when asked, and no sample of it is a test sample.
    @Test func theTrainingSplitIsKeptOnlyWhenAskedAndIsNotTheTestSplit() throws {
        let text = """
            name: split
            rounds: 1
            dataset: {kind: synthetic-images, train_samples: 200, test_samples: 50}
            model: lenet5
            method: fedavg
            groups: [{count: 4}]
            """
        let plan = try TopologyLoader(root: ".", checksDataFiles: false).load(text: text, file: "split.yaml")
        #expect(try RunData.load(plan).train == nil)
        let data = try RunData.load(plan, keepTrain: true)
        let train = try #require(data.train)
        #expect(train.count == (0..<4).compactMap { data.sizes[$0] }.reduce(0, +))
        let server = train.samplesPerClass(2, random: RandomStream(seed: 1, purpose: "server-data"))
        let testRows = Set(Self.rows(data.test))
        #expect(server.count == 20 && Self.rows(server).allSatisfy { !testRows.contains($0) })
    }

    /// Each sample's features.
    static func rows(_ data: Dataset) -> [[Float]] {
        let width = data.featuresPerSample
        var features = [Float](repeating: 0, count: data.count * width)
        var labels = [Int32](repeating: 0, count: data.count)
        data.fillBatch(indices: 0..<data.count, features: &features, labels: &labels)
        return (0..<data.count).map { Array(features[($0 * width)..<(($0 + 1) * width)]) }
    }
}
