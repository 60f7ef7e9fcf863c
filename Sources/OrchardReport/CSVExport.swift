import Foundation
import OrchardStore

/// Writes a run's tables as CSV files, one per table, for spreadsheets and scripts.
///
/// Each file is `<folder>/<table>.csv` (`runs.csv`, `clients.csv`, `rounds.csv`,
/// `client_rounds.csv`, `messages.csv`, `layers.csv`, `checkpoints.csv`, `client_metrics.csv`,
/// `host_events.csv`, `peer_rejections.csv`): a header of column names, then one record per row of
/// the run, in the order of the table's key.
/// Fields follow RFC 4180: records end with CRLF, and a field holding a comma, a double quote, CR
/// or LF is enclosed in double quotes, with its quotes doubled. NULL is an empty field; reals are
/// written in the shortest form that reads back to the same double; a blob column is replaced by
/// its length, as `<column>_bytes`. A file written before a table existed gets no file for it.
public enum CSVExport {
    /// Exports every table of `run` into `folder`, creating it if needed; returns the files written.
    @discardableResult
    public static func write(store: RunStore, run: RunID, to folder: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ReportError.cannotWrite(path: folder, detail: error.localizedDescription)
        }
        var written: [String] = []
        // A file written before a table existed, read as it is, has no rows for it, and no file.
        for table in StoreTable.allCases where store.holds(table) {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(table.rawValue + ".csv").path
            let file = try StreamedFile(path: path)
            file.write(record(try store.exportColumns(of: table).map(quoted)))
            try store.exportRows(of: table, run: run) { row in file.write(record(row.map(field))) }
            try file.close()
            written.append(path)
        }
        return written
    }

    /// One CSV record: the fields joined by commas, ended by CRLF.
    static func record(_ fields: [String]) -> String { fields.joined(separator: ",") + "\r\n" }

    /// The CSV field of an exported value.
    static func field(_ value: StoreValue) -> String {
        switch value {
        case .null: ""
        case .integer(let number): String(number)
        case .real(let number): number.description
        case .text(let text): quoted(text)
        }
    }

    /// `text` as a CSV field: enclosed in quotes, with its quotes doubled, only when it needs to be.
    static func quoted(_ text: String) -> String {
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A file written through a buffer, so that a table of millions of rows is never held in memory.
///
/// Writing cannot throw inside the store's row callback; the first error is kept, later writes
/// are skipped, and `close()` throws it.
private final class StreamedFile {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var failure: (any Error)?

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ReportError.cannotWrite(path: path, detail: "cannot create the file")
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } catch {
            throw ReportError.cannotWrite(path: path, detail: error.localizedDescription)
        }
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    func close() throws {
        flush()
        try? handle.close()
        if let failure { throw ReportError.cannotWrite(path: path, detail: failure.localizedDescription) }
    }

    private func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil, !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            failure = error
        }
    }
}
