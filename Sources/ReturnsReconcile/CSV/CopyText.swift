import NIOCore

/// Builds rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes), straight from
/// the CSV reader's bytes, so no field becomes a `String` on its way to the server.
///
/// Rows collect in a plain byte array and go into a `ByteBuffer` once per flush: per-byte `ByteBuffer` writes cost
/// several times more.
struct CopyText {
    private(set) var bytes: [UInt8] = []
    private var isFirstInRow = true

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    /// The rows so far, for one COPY write; the builder starts empty again.
    mutating func take() -> ByteBuffer {
        let buffer = ByteBuffer(bytes: bytes)
        bytes.removeAll(keepingCapacity: true)
        return buffer
    }

    private mutating func separate() {
        if isFirstInRow { isFirstInRow = false } else { bytes.append(0x09) }
    }

    mutating func null() {
        separate()
        bytes.append(0x5C)
        bytes.append(0x4E)
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        separate()
        var magnitude = UInt64(value.magnitude)
        if value < 0 { bytes.append(0x2D) }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(raw[index]) }
        }
    }

    mutating func text(_ value: String) {
        separate()
        var copy = value
        copy.withUTF8 { escape($0, lowercased: false) }
    }

    /// Writes `source[range]`, escaping what COPY's text format treats specially; `lowercased` folds ASCII letters.
    mutating func bytes(_ source: [UInt8], _ range: Range<Int>, lowercased: Bool = false) {
        separate()
        source.withUnsafeBufferPointer { all in
            escape(UnsafeBufferPointer(rebasing: all[range]), lowercased: lowercased)
        }
    }

    private mutating func escape(_ slice: UnsafeBufferPointer<UInt8>, lowercased: Bool) {
        // Most fields need no escaping: copy them in one go.
        if !lowercased && !slice.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            bytes.append(contentsOf: slice)
            return
        }
        for byte in slice {
            switch byte {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            case 0x41...0x5A where lowercased: bytes.append(byte | 0x20)
            default: bytes.append(byte)
            }
        }
    }

    mutating func endRow() {
        bytes.append(0x0A)
        isFirstInRow = true
    }
}
