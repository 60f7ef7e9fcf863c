import Foundation
import OrchardTestSupport
import Testing

/// `orchard report --html` and `orchard compare --html` on real runs, opened in headless Chromium.
@Suite("HTML reports in Chromium", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct HTMLReportCommandTests {
    /// The only URL a page may hold: the SVG namespace, which is a name, not a fetch.
    static let svgNamespace = "http://www.w3.org/2000/svg"

    /// Checks that `page` is self-contained, renders without console errors, and draws its charts.
    func checkInChromium(_ page: String, charts: Int, folder: TemporaryFolder) throws {
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let external = html.replacingOccurrences(of: Self.svgNamespace, with: "")
        #expect(!external.contains("http://") && !external.contains("https://"), "a URL in \(page)")
        #expect(html.components(separatedBy: "<svg ").count - 1 == charts)

        let name = URL(fileURLWithPath: page).deletingPathExtension().lastPathComponent
        let screenshot = folder.file("\(name).png")
        let shot = try Chromium.run(
            ["--screenshot=\(screenshot)", "--window-size=1200,2000"], page: page, profile: folder.file("\(name)-shot"))
        #expect(shot.status == 0, "\(shot.standardError)")
        let image = try PNGImage(contentsOf: screenshot)
        #expect(image.width == 1200 && image.height == 2000)
        #expect(image.distinctColors > 50, "the screenshot has \(image.distinctColors) colours")
        #expect(image.inkedFraction > 0.02, "the screenshot is \(image.inkedFraction) inked")

        let dump = try Chromium.run(["--dump-dom"], page: page, profile: folder.file("\(name)-dom"))
        #expect(dump.status == 0, "\(dump.standardError)")
        #expect(dump.standardOutput.components(separatedBy: "<svg ").count - 1 == charts)
        #expect(dump.standardOutput.contains("<polyline"))
        let console = (shot.standardError + dump.standardError).split(separator: "\n").filter {
            $0.contains("CONSOLE") || $0.contains("Uncaught")
        }
        #expect(console.isEmpty, "console messages: \(console)")
    }

    @Test(
        "report --html and compare --html render, draw and fetch nothing",
        .enabled(if: Chromium.path != nil, "chromium is not installed: run Scripts/install-deps.sh"))
    func rendersInChromium() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 6, method: "{name: feddst, density: 20%, delta: 2, t_end: 5}")
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let sparse = folder.file("feddst.sqlite")
        let dense = folder.file("fedavg.sqlite")
        let first = try await OrchardProcess.run(
            ["run", topology, "--processes", "1", "--db", sparse])
        #expect(first.status == 0, "\(first)")
        let second = try await OrchardProcess.run(
            [
                "run", topology, "--processes", "1", "--db", dense, "--set", "method=fedavg",
            ])
        #expect(second.status == 0, "\(second)")

        let report = folder.file("report.html")
        let reported = try await OrchardProcess.run(["report", sparse, "--html", report])
        #expect(reported.status == 0, "\(reported)")
        // Five accuracy charts, outcomes, client bytes, client memory, and density per layer.
        try checkInChromium(report, charts: 9, folder: folder)

        let comparison = folder.file("compare.html")
        let compared = try await OrchardProcess.run(["compare", sparse, dense, "--html", comparison])
        #expect(compared.status == 0, "\(compared)")
        // Five accuracy charts, the outcomes of each run, and the density of the run that moves masks.
        try checkInChromium(comparison, charts: 8, folder: folder)
        let html = try String(contentsOfFile: comparison, encoding: .utf8)
        #expect(html.contains(">feddst</td>") && html.contains(">fedavg</td>"))
    }
}
