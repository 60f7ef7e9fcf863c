/// A table of text cells printed in aligned columns, text to the left and numbers to the right.
struct TextTable {
    /// One column: its title and the side its cells lean to.
    struct Column {
        let title: String
        let alignRight: Bool

        /// A left-aligned column, for names.
        static func text(_ title: String) -> Column { Column(title: title, alignRight: false) }
        /// A right-aligned column, for figures.
        static func number(_ title: String) -> Column { Column(title: title, alignRight: true) }
    }

    let columns: [Column]
    private(set) var rows: [[String]] = []

    init(_ columns: [Column]) { self.columns = columns }

    /// Adds a row; it must have one cell per column.
    mutating func append(_ cells: [String]) {
        precondition(cells.count == columns.count, "a row of \(cells.count) cells in a table of \(columns.count)")
        rows.append(cells)
    }

    /// The table's lines: the titles, then the rows, columns two spaces apart, no trailing spaces.
    ///
    /// With `limit`, a table of more rows shows only the first and last `limit / 2` and a line
    /// saying how many `noun`s were left out (the CSV export has them all).
    func render(limit: Int? = nil, noun: String = "row") -> [String] {
        var shown: [[String]?] = rows
        if let limit, rows.count > limit {
            let head = (limit + 1) / 2
            let tail = limit / 2
            shown = rows.prefix(head).map { $0 } + [nil] + rows.suffix(tail).map { $0 }
        }
        let widths = columns.indices.map { index in
            ([columns[index].title] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.indices.map { index in
                let padding = String(repeating: " ", count: widths[index] - cells[index].count)
                return columns[index].alignRight ? padding + cells[index] : cells[index] + padding
            }
            return String(padded.joined(separator: "  ").reversed().drop { $0 == " " }.reversed())
        }
        var lines = [line(columns.map(\.title))]
        for row in shown {
            if let row {
                lines.append(line(row))
            } else {
                let hidden = rows.count - (limit ?? 0)
                lines.append("... \(ReportFormat.counted(hidden, noun)) not shown (--csv DIR exports them all) ...")
            }
        }
        return lines
    }
}
