import COrchardZlib
import Foundation

/// Reads whole data files into memory, inflating gzip files on the way.
enum FileBytes {
    /// The contents of a file and whether they were stored gzip-compressed.
    struct Contents {
        /// The bytes of the file, after decompression for a gzip file.
        var bytes: [UInt8]
        /// Whether the file on disk was gzip-compressed.
        var wasCompressed: Bool
    }

    /// `directory/name`, without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Whether `path` names an existing regular file (or a link to one).
    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Whether `path` names an existing folder.
    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The raw bytes of the file at `path`.
    static func read(_ path: String) throws(DataError) -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(path: path, problem: "no such file")
        }
        guard isFile(path) else { throw DataError(path: path, problem: "is a folder, not a file") }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DataError(path: path, problem: "cannot be read: \(error.localizedDescription)")
        }
    }

    /// The start of a file, its size on disk, and whether it is gzip-compressed.
    struct Prefix {
        var bytes: [UInt8]
        var fileSize: Int
        var isCompressed: Bool
    }

    /// The first `count` bytes of the file at `path` (fewer if it is shorter) and its size,
    /// without reading the rest.
    static func readPrefix(_ path: String, count: Int) throws(DataError) -> Prefix {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(path: path, problem: "no such file")
        }
        guard isFile(path) else { throw DataError(path: path, problem: "is a folder, not a file") }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let bytes = [UInt8](try handle.read(upToCount: max(count, 2)) ?? Data())
            let size = Int(try handle.seekToEnd())
            let compressed = bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
            return Prefix(bytes: Array(bytes.prefix(count)), fileSize: size, isCompressed: compressed)
        } catch {
            throw DataError(path: path, problem: "cannot be read: \(error.localizedDescription)")
        }
    }

    /// The bytes of the file at `path`, inflated if the file starts with the gzip magic `1f 8b`.
    static func readInflatingGzip(_ path: String) throws(DataError) -> Contents {
        let raw = try read(path)
        guard raw.count >= 2, raw[0] == 0x1f, raw[1] == 0x8b else {
            return Contents(bytes: raw, wasCompressed: false)
        }
        do {
            return Contents(bytes: try Gzip.inflate(raw), wasCompressed: true)
        } catch {
            throw DataError(path: path, problem: error.problem)
        }
    }
}

/// Inflates gzip data with zlib.
enum Gzip {
    /// Why inflation failed, without the path, which the caller adds.
    struct Failure: Error {
        let problem: String
    }

    /// The decompressed contents of a gzip file, all of its members in order.
    ///
    /// gzip allows several members one after another (`cat a.gz b.gz` is valid gzip), so after
    /// each member ends the rest of the input must be another member; anything else is an error.
    static func inflate(_ compressed: [UInt8]) throws(Failure) -> [UInt8] {
        var output = [UInt8]()
        // The last four bytes of a member hold its size modulo 2^32: a good first capacity.
        if compressed.count >= 18 {
            let tail = compressed.count - 4
            let sizeHint = (0..<4).reduce(0) { $0 | Int(compressed[tail + $1]) << (8 * $1) }
            output.reserveCapacity(sizeHint)
        }
        var stream = z_stream()
        // 16 + MAX_WBITS asks zlib to expect a gzip header and trailer rather than a zlib one.
        let initStatus = inflateInit2_(
            &stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw Failure(problem: "zlib could not start inflating (inflateInit2 returned \(initStatus))")
        }
        defer { inflateEnd(&stream) }

        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var consumed = 0
        var finishedMember = false
        try compressed.withUnsafeBufferPointer { (input) throws(Failure) in
            guard let inputBase = input.baseAddress else { return }
            while true {
                if stream.avail_in == 0 && consumed < input.count {
                    // avail_in is 32 bits wide; feed very large inputs in pieces.
                    let piece = min(input.count - consumed, Int(UInt32.max))
                    stream.next_in = UnsafeMutablePointer(mutating: inputBase + consumed)
                    stream.avail_in = uInt(piece)
                    consumed += piece
                }
                let produced = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let status = COrchardZlib.inflate(&stream, Z_NO_FLUSH)
                    return (status, buffer.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced.1])
                switch produced.0 {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let remaining = Int(stream.avail_in) + (input.count - consumed)
                    if remaining == 0 {
                        finishedMember = true
                        return
                    }
                    let next = input.count - remaining
                    guard remaining >= 2, inputBase[next] == 0x1f, inputBase[next + 1] == 0x8b else {
                        throw Failure(problem: "\(remaining) stray bytes after the end of the gzip data")
                    }
                    let resetStatus = inflateReset(&stream)
                    guard resetStatus == Z_OK else {
                        throw Failure(problem: "zlib could not restart for the next gzip member (\(resetStatus))")
                    }
                case Z_BUF_ERROR where stream.avail_in == 0 && consumed == input.count:
                    // No input left and the stream has not ended: the file was cut short.
                    return
                case Z_DATA_ERROR:
                    throw Failure(problem: "corrupt gzip data (\(message(of: stream) ?? "invalid deflate stream"))")
                case Z_MEM_ERROR:
                    throw Failure(problem: "zlib ran out of memory while inflating")
                default:
                    throw Failure(
                        problem: "zlib inflate failed with status \(produced.0)"
                            + (message(of: stream).map { " (\($0))" } ?? ""))
                }
            }
        }
        guard finishedMember else {
            throw Failure(
                problem: "truncated gzip data: the stream ends after \(compressed.count) compressed bytes "
                    + "(\(output.count) bytes inflated) without its end marker")
        }
        return output
    }

    private static func message(of stream: z_stream) -> String? {
        stream.msg.map { String(cString: $0) }
    }
}
