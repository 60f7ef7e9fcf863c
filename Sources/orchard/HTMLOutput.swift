import Foundation
import OrchardReport

/// Writing the HTML reports of `report`, `compare` and `sweep`.
enum HTMLOutput {
    /// Writes `html` to `path`, creating its folder.
    static func write(_ html: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(html.utf8).write(to: url)
    }
}
