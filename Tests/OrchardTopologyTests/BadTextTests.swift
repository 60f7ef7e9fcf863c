import Foundation
import OrchardTopology
import Testing

/// Text that is not a topology a person meant: tabs, bytes that are not UTF-8, floods of mistakes.
@Suite("Bad text")
struct BadTextTests {
    @Test("a tab in the indentation is called a tab, at its line")
    func tab() {
        for text in [Fixture.minimal + "\n\tseed: 4\n", "name: tiny\nrounds: 3\ngroups:\n\t- count: 4\n"] {
            let diagnostics = Fixture.diagnostics(text)
            let first = diagnostics.first
            #expect(diagnostics.count == 1, "\(diagnostics)")
            #expect(first?.message.contains("tab character") == true, "\(diagnostics)")
            #expect(
                first?.line
                    == text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("\t") }
                    .map { $0 + 1 })
        }
    }

    @Test("bytes that are not UTF-8 are placed at their line and column, with their offset")
    func notUTF8() throws {
        let folder = try ScratchFolder()
        let file = folder.path + "/latin1.yaml"
        // "é" in Latin-1 (0xE9) on line 3, after "name: caf" ("rounds: 3\n" is 10 bytes, "seed: 1\n" 8).
        let bytes = Array("rounds: 3\nseed: 1\nname: caf".utf8) + [0xE9] + Array("\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        do {
            _ = try TopologyLoader(root: folder.path).load(file: file)
            Issue.record("a Latin-1 file loaded")
        } catch {
            let diagnostic = try #require(error.diagnostics.first)
            #expect(error.diagnostics.count == 1)
            #expect((diagnostic.line, diagnostic.column) == (3, 10), "\(diagnostic)")
            #expect(diagnostic.message.contains("not UTF-8"), "\(diagnostic)")
            #expect(diagnostic.message.contains("byte 27 (0xE9)"), "\(diagnostic)")
        }
    }

    @Test("thousands of unknown keys give the earliest 50 and a count of the rest")
    func capped() throws {
        let count = 3_000
        let keys = (0..<count).map { "unknown_key_\($0): 1" }
        let text = Fixture.minimal + "\n" + keys.joined(separator: "\n") + "\n"
        let loader = TopologyLoader(root: "/nonexistent-root")
        do {
            _ = try loader.load(text: text, file: "flood.yaml")
            Issue.record("a topology of unknown keys loaded")
        } catch {
            #expect(error.diagnostics.count == 50)
            #expect(error.omitted == count - 50)
            #expect(error.count == count)
            // The earliest in the file, in order: the minimal topology's six lines come first.
            #expect(error.diagnostics.map(\.line) == Array(7..<57))
            #expect(error.diagnostics.first?.path == "unknown_key_0")
            #expect(error.lines.last == "... and \(count - 50) more mistakes")
        }
    }

    @Test("a mistake among a flood of unknown keys is still shown when it comes first")
    func earliestKept() {
        let keys = (0..<500).map { "unknown_key_\($0): 1" }.joined(separator: "\n")
        let diagnostics = Fixture.diagnostics(
            "rounds: 0\n" + Fixture.minimal.replacingOccurrences(of: "rounds: 3\n", with: "") + "\n" + keys)
        #expect(diagnostics.count == 50)
        #expect(diagnostics.first?.path == "rounds", "\(diagnostics.prefix(3))")
    }

    @Test("a file larger than any topology is refused before it is read")
    func tooLarge() throws {
        let folder = try ScratchFolder()
        let file = folder.path + "/huge.yaml"
        let line = Array("unknown_key: 1\n".utf8)
        let bytes = [UInt8]((0...(TopologyLoader.maximumFileSize / line.count)).map { _ in line }.joined())
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        do {
            _ = try TopologyLoader(root: folder.path).load(file: file)
            Issue.record("a huge file loaded")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(
                error.diagnostics.first?.message.hasPrefix("the file is \(bytes.count) bytes, more than the 1 MiB")
                    == true,
                "\(error)")
        }
    }
}
