import NIOCore

/// Builds rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes), straight from
/// the CSV reader's bytes, so no field becomes a `String` on its way to the server.
struct CopyText {
    var buffer: ByteBuffer
    private var isFirstInRow = true

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    private mutating func separate() {
        if isFirstInRow { isFirstInRow = false } else { buffer.writeInteger(UInt8(0x09)) }
    }

    mutating func null() {
        separate()
        buffer.writeInteger(UInt8(0x5C))
        buffer.writeInteger(UInt8(0x4E))
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func text(_ value: String) {
        separate()
        var copy = value
        copy.withUTF8 { escape($0) }
    }

    /// Writes `bytes[range]`, escaping what COPY's text format treats specially; `lowercased` folds ASCII letters.
    mutating func bytes(_ bytes: [UInt8], _ range: Range<Int>, lowercased: Bool = false) {
        separate()
        bytes.withUnsafeBufferPointer { all in
            let slice = UnsafeBufferPointer(rebasing: all[range])
            if lowercased {
                for byte in slice { put(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
            } else {
                escape(slice)
            }
        }
    }

    private mutating func escape(_ slice: UnsafeBufferPointer<UInt8>) {
        // Most fields need no escaping: write them in one go.
        if !slice.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            buffer.writeBytes(slice)
            return
        }
        for byte in slice { put(byte) }
    }

    private mutating func put(_ byte: UInt8) {
        switch byte {
        case 0x5C: buffer.writeBytes([0x5C, 0x5C])
        case 0x09: buffer.writeBytes([0x5C, 0x74])
        case 0x0A: buffer.writeBytes([0x5C, 0x6E])
        case 0x0D: buffer.writeBytes([0x5C, 0x72])
        default: buffer.writeInteger(byte)
        }
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(0x0A))
        isFirstInRow = true
    }
}
