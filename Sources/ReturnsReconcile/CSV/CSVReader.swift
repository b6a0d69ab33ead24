import Foundation

/// Reads an RFC 4180 CSV file one record at a time, in bounded memory: a UTF-8 byte order mark, CRLF, LF or bare CR
/// line ends (as Python's csv module reads them: a CR alone ends a line, never joins two), quoted fields holding
/// commas, doubled quotes and line breaks, and trailing blank lines are all accepted.
///
/// Refused with FILE:LINE:COLUMN, because PostgreSQL would refuse them later without saying where: a field that is
/// not UTF-8 or holds a NUL byte, and a line with more fields than the header names (a field holding an unquoted
/// comma, most often: the values would shift into the wrong columns).
///
/// The reader is byte-level on purpose: settlement files run to millions of lines, and building a `String` per field
/// would dominate the run time. Fields stay bytes until a caller asks for text.
public final class CSVReader {
    public let file: String
    /// The physical line (1-based) the current record starts on.
    public private(set) var line = 0
    /// The current record's fields, unescaped, back to back in `bytes`; field `i` is `bytes[starts[i]..<ends[i]]`.
    public private(set) var bytes: [UInt8] = []
    private var starts: [Int] = []
    private var ends: [Int] = []

    private let descriptor: Int32
    private var buffer: [UInt8]
    private var position = 0
    private var filled = 0
    private var atEnd = false
    private var physicalLine = 1
    /// The line before ended with a bare CR: a LF right after it belongs to that line end.
    private var swallowLineFeed = false
    /// A byte of the current record is NUL or not ASCII: its fields are checked before they are handed out.
    private var needsTextCheck = false
    /// How many fields the first record (the header) has; later records may not have more.
    public private(set) var headerCount: Int?

    /// Opens `path`; `name` is how messages refer to the file (default: the path as given).
    public init(path: String, name: String? = nil, chunkSize: Int = 1 << 20) throws(ReconcileError) {
        file = name ?? path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw .unreadable(
                file: file, reason: "cannot open the file (\(String(cString: strerror(errno)))); check the path")
        }
        buffer = [UInt8](repeating: 0, count: chunkSize)
        bytes.reserveCapacity(1024)
        // A UTF-8 byte order mark (spreadsheet exports write one) is not part of the first column's name.
        var head: [UInt8] = [0, 0, 0]
        if pread(descriptor, &head, 3, 0) == 3, head == [0xEF, 0xBB, 0xBF] { lseek(descriptor, 3, SEEK_SET) }
    }

    deinit { close(descriptor) }

    /// How many fields the current record has.
    public var count: Int { starts.count }

    /// Bytes read from the file so far, for progress.
    public private(set) var bytesRead = 0

    /// The text of field `index` (empty when the record is shorter).
    public func string(_ index: Int) -> String {
        guard index < starts.count else { return "" }
        return String(decoding: bytes[starts[index]..<ends[index]], as: UTF8.self)
    }

    /// The bounds of field `index` in `bytes` (empty when the record is shorter).
    public func range(_ index: Int) -> Range<Int> {
        guard index < starts.count else { return 0..<0 }
        return starts[index]..<ends[index]
    }

    /// Moves to the next record; false at the end of the file. Blank lines are skipped.
    public func next() throws(ReconcileError) -> Bool {
        while true {
            bytes.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            needsTextCheck = false
            guard try readRecord() else { return false }
            // A line with nothing on it is a blank line, not a record with one empty field.
            if starts.count == 1 && !lastFieldWasQuoted
                && bytes[starts[0]..<ends[0]].allSatisfy({ $0 == 0x20 || $0 == 0x09 })
            {
                continue
            }
            if needsTextCheck { try checkText() }
            if let headerCount {
                guard starts.count <= headerCount else {
                    throw .badRow(
                        file: file, line: line, column: headerCount + 1,
                        reason: "this line has \(starts.count) fields, but the header names \(headerCount); quote a "
                            + "field that holds a comma (\"like, this\")")
                }
            } else {
                headerCount = starts.count
            }
            return true
        }
    }

    /// Refuses a field that is not UTF-8 text or holds a NUL byte (which no PostgreSQL text can hold).
    private func checkText() throws(ReconcileError) {
        for index in 0..<starts.count {
            let field = bytes[starts[index]..<ends[index]]
            if let nul = field.firstIndex(of: 0) {
                throw .badRow(
                    file: file, line: line, column: index + 1,
                    reason: "the field holds a NUL byte (at byte \(nul - starts[index] + 1) of the field); "
                        + "a CSV file is text: remove it")
            }
            if String(validating: field, as: UTF8.self) == nil {
                throw .badRow(
                    file: file, line: line, column: index + 1,
                    reason: "the field is not valid UTF-8; save the file as UTF-8")
            }
        }
    }

    private var lastFieldWasQuoted = false

    private func refill() throws(ReconcileError) -> Bool {
        if atEnd { return false }
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else {
            throw .unreadable(file: file, reason: "reading failed (\(String(cString: strerror(errno))))")
        }
        if count == 0 {
            atEnd = true
            return false
        }
        position = 0
        filled = count
        bytesRead += count
        return true
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Reads one record into `bytes`/`starts`/`ends`; false when the file ended before any byte of a record.
    private func readRecord() throws(ReconcileError) -> Bool {
        var state = State.fieldStart
        var sawAnything = false
        var quoteLine = 0
        line = physicalLine
        starts.append(0)
        lastFieldWasQuoted = false
        while true {
            if position >= filled {
                guard try refill() else { break }
            }
            let byte = buffer[position]
            position += 1
            if swallowLineFeed {
                swallowLineFeed = false
                if byte == 0x0A { continue }
            }
            sawAnything = true
            if byte == 0 || byte >= 0x80 { needsTextCheck = true }
            switch state {
            case .fieldStart, .unquoted:
                switch byte {
                case 0x2C:  // ,
                    ends.append(bytes.count)
                    starts.append(bytes.count)
                    lastFieldWasQuoted = false
                    state = .fieldStart
                case 0x0A:  // \n
                    physicalLine += 1
                    ends.append(bytes.count)
                    return true
                case 0x0D:  // \r ends the line; a \n right after it is the same line end
                    physicalLine += 1
                    swallowLineFeed = true
                    ends.append(bytes.count)
                    return true
                case 0x22 where state == .fieldStart:  // "
                    state = .quoted
                    lastFieldWasQuoted = true
                    quoteLine = physicalLine
                default:
                    bytes.append(byte)
                    state = .unquoted
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    if byte == 0x0A { physicalLine += 1 }
                    bytes.append(byte)
                }
            case .quoteInQuoted:
                switch byte {
                case 0x22:
                    bytes.append(byte)
                    state = .quoted
                case 0x2C:
                    ends.append(bytes.count)
                    starts.append(bytes.count)
                    lastFieldWasQuoted = false
                    state = .fieldStart
                case 0x0A:
                    physicalLine += 1
                    ends.append(bytes.count)
                    return true
                case 0x0D:
                    physicalLine += 1
                    swallowLineFeed = true
                    ends.append(bytes.count)
                    return true
                default:
                    throw .badRow(
                        file: file, line: physicalLine, column: starts.count,
                        reason: "text after a closing quote; quote the whole field and double any quote inside it")
                }
            }
        }
        if state == .quoted {
            throw .badRow(
                file: file, line: quoteLine, column: starts.count,
                reason: "unterminated quote: the field opened here has no closing quote before the end of the file")
        }
        guard sawAnything else {
            starts.removeAll()
            return false
        }
        ends.append(bytes.count)
        return true
    }
}
