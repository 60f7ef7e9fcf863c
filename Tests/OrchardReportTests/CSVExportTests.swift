import Foundation
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

@testable import OrchardReport

/// The CSV export: one RFC 4180 file per table, blobs as their lengths.
@Suite("CSV export")
struct CSVExportTests {
    @Test("every table is written, with a header and one record per row of the run")
    func tables() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let output = folder.file("csv/nested")
        let files = try CSVExport.write(store: store, run: run, to: output)
        #expect(
            files.map { URL(fileURLWithPath: $0).lastPathComponent } == StoreTable.allCases.map { $0.rawValue + ".csv" }
        )

        let counts = try files.map { try records(of: $0).count - 1 }
        // runs 1, clients 3, rounds 4, client_rounds 12, messages 24, layers 8, checkpoints 2,
        // client_metrics 9 (a topk_k per ok task, a missing_mask), no host event, rejection, link time,
        // mask health or client evaluation.
        #expect(counts == [1, 3, 4, 12, 24, 8, 2, 9, 0, 0, 0, 0, 0, 0])
        let metrics = try records(of: output + "/client_metrics.csv")
        #expect(metrics[0] == ["run", "round", "client", "task", "name", "value"])
        #expect(metrics[1] == ["1", "1", "0", "train", "topk_k", "10.0"])

        let rounds = try records(of: output + "/rounds.csv")
        #expect(
            rounds[0] == [
                "run", "round", "phase", "sim_start", "sim_seconds", "wall_seconds", "coordinator_seconds", "sampled",
                "answered", "dropped", "global_density", "test_accuracy", "test_loss", "train_loss", "committed_at",
            ])
        #expect(
            Array(rounds[2].prefix(14)) == [
                "1", "2", "train", "10.0", "12.0", "3.0", "0.25", "3", "1", "2", "0.8", "", "", "1.0",
            ])

        let checkpoints = try records(of: output + "/checkpoints.csv")
        #expect(checkpoints[0].contains("state_bytes") && checkpoints[0].contains("extra_bytes"))
        let stateColumn = try #require(checkpoints[0].firstIndex(of: "state_bytes"))
        let extraColumn = try #require(checkpoints[0].firstIndex(of: "extra_bytes"))
        #expect(checkpoints[1][stateColumn] == "40" && checkpoints[1][extraColumn] == "")
        #expect(checkpoints[2][extraColumn] == "3")

        let messages = try records(of: output + "/messages.csv")
        let heartbeat = try #require(messages.first { $0.contains("heartbeat") })
        #expect(heartbeat[messages[0].firstIndex(of: "client")!] == "")
    }

    @Test("fields with commas, quotes and line breaks are quoted, and read back unchanged")
    func quoting() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        try CSVExport.write(store: store, run: run, to: folder.path)

        let text = try String(contentsOfFile: folder.file("runs.csv"), encoding: .utf8)
        #expect(text.contains("\"synthetic, \"\"quoted\"\"\""))
        #expect(text.contains("\"name: synthetic\nrounds: 4\n\""))
        #expect(text.hasSuffix("\r\n"))
        let runs = try records(of: folder.file("runs.csv"))
        #expect(runs[1][runs[0].firstIndex(of: "name")!] == "synthetic, \"quoted\"")
        #expect(runs[1][runs[0].firstIndex(of: "topology_yaml")!] == "name: synthetic\nrounds: 4\n")
        #expect(runs[1][runs[0].firstIndex(of: "seed")!] == String(Int64(bitPattern: 0xFEED_FACE_CAFE_BEEF)))

        let tasks = try records(of: folder.file("client_rounds.csv"))
        let reasons = Set(tasks.dropFirst().map { $0[tasks[0].firstIndex(of: "reason")!] })
        #expect(reasons.contains("because, \"dropped\""))

        #expect(CSVExport.quoted("plain") == "plain")
        #expect(CSVExport.quoted("a,b") == "\"a,b\"")
        #expect(CSVExport.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVExport.quoted("two\r\nlines") == "\"two\r\nlines\"")
    }

    /// The records of a CSV file, parsed by RFC 4180's rules.
    func records(of path: String) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text.unicodeScalars)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        field.unicodeScalars.append(characters.removeFirst())
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                record.append(field)
                field = ""
            } else if character == "\r" && characters.first == "\n" {
                characters.removeFirst()
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.unicodeScalars.append(character)
            }
        }
        #expect(record.isEmpty && field.isEmpty, "the file does not end with CRLF")
        return records
    }
}
