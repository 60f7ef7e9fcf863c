/// Explaining text that is not YAML a person can fix without a hex editor: a tab where YAML
/// wants spaces, and bytes that are not UTF-8, each with its line and column.
extension TopologyLoader {
    /// The diagnostic for `bytes` that are not UTF-8: the line and column of the first byte that
    /// cannot be decoded, with its byte offset and value.
    static func notUTF8(_ bytes: some Collection<UInt8>, file: String) -> Diagnostic {
        var line = 1
        var column = 1
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput:
                break decoding
            case .error:
                break decoding
            }
        }
        let byte = bytes.dropFirst(offset).first.map { value in
            let digits = String(value, radix: 16, uppercase: true)
            return " (0x" + (digits.count == 1 ? "0" : "") + digits + ")"
        }
        return Diagnostic(
            file: file, line: line, column: column, path: "",
            message: "not UTF-8 text: byte \(offset)\(byte ?? "") does not start or continue a UTF-8 character; "
                + "save the file as UTF-8")
    }

    /// `"; ..."` explaining a tab in `line` of `text` up to `column`, or nothing.
    ///
    /// libyaml reports a tab in indentation as "found character that cannot start any token" or
    /// as a misplaced mapping, without naming the character.
    static func tabNote(_ text: String, line: Int, column: Int) -> String {
        guard line >= 1 else { return "" }
        let lines = text.split(separator: "\n", maxSplits: line, omittingEmptySubsequences: false)
        // The mark is at the offending character or, for some errors, just past it.
        guard lines.count >= line, lines[line - 1].unicodeScalars.prefix(max(0, column)).contains("\t") else {
            return ""
        }
        return "; the line has a tab character, and YAML indents with spaces only: replace the tab with spaces"
    }
}
