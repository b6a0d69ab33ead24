import NIOCore

/// Builds rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes), straight from
/// the CSV reader's bytes, so no field becomes a `String` on its way to the server.
///
/// Rows collect in a plain byte array and go into a `ByteBuffer` once per flush: per-byte `ByteBuffer` writes cost
/// several times more.
///
/// The row writers run per field of files with millions of lines. This target is not optimized in debug builds,
/// the CSV readers that call them are (see Package.swift), so the writers are always inlined into the readers and
/// compiled with them: with `@inlinable` alone the optimizer still called `text` and `bytes` here, unoptimized, and
/// a debug `reconcile refunds` of 1,000,000 lines took 7 s of CPU instead of 2.9 s.
///
/// `@inline(always)` (SE-0496) needs the Swift 6.3 compiler; the manifest's tools version, 6.1, governs only the
/// manifest's API. The older `@inline(__always)` is no substitute: with it the same run took 2.8-3.0 s, against
/// 1.8-2.5 s with `@inline(always)`.
public struct CopyText {
    @usableFromInline var storage: [UInt8] = []
    @usableFromInline var isFirstInRow = true

    /// An empty builder with room for `capacity` bytes of rows.
    @inlinable @inline(always)
    public init(capacity: Int) {
        storage.reserveCapacity(capacity)
    }

    /// The rows so far, as COPY receives them.
    @inlinable @inline(always)
    public var bytes: [UInt8] { storage }

    /// How many bytes of rows there are so far.
    @inlinable @inline(always)
    public var count: Int { storage.count }

    /// The rows so far, for one COPY write; the builder starts empty again.
    mutating func take() -> ByteBuffer {
        let buffer = ByteBuffer(bytes: storage)
        storage.removeAll(keepingCapacity: true)
        return buffer
    }

    @inlinable @inline(always)
    mutating func separate() {
        if isFirstInRow { isFirstInRow = false } else { storage.append(0x09) }
    }

    /// Writes a NULL field.
    @inlinable @inline(always)
    public mutating func null() {
        separate()
        storage.append(0x5C)
        storage.append(0x4E)
    }

    /// Writes an integer field in decimal.
    @inlinable @inline(always)
    public mutating func integer<I: BinaryInteger>(_ value: I) {
        separate()
        var magnitude = UInt64(value.magnitude)
        if value < 0 { storage.append(0x2D) }
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
            for index in stride(from: count - 1, through: 0, by: -1) { storage.append(raw[index]) }
        }
    }

    /// Writes a text field, escaped.
    @inlinable @inline(always)
    public mutating func text(_ value: String) {
        separate()
        var value = value
        value.withUTF8 { escape($0, lowercased: false) }
    }

    /// Writes `source[range]`, escaping what COPY's text format treats specially; `lowercased` folds ASCII letters.
    @inlinable @inline(always)
    public mutating func bytes(_ source: [UInt8], _ range: Range<Int>, lowercased: Bool = false) {
        separate()
        source.withUnsafeBufferPointer { all in
            escape(UnsafeBufferPointer(rebasing: all[range]), lowercased: lowercased)
        }
    }

    @inlinable @inline(always)
    mutating func escape(_ slice: UnsafeBufferPointer<UInt8>, lowercased: Bool) {
        // Most fields need no escaping: copy them in one go.
        if !lowercased && !slice.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            storage.append(contentsOf: slice)
            return
        }
        for byte in slice {
            switch byte {
            case 0x5C: storage.append(0x5C); storage.append(0x5C)
            case 0x09: storage.append(0x5C); storage.append(0x74)
            case 0x0A: storage.append(0x5C); storage.append(0x6E)
            case 0x0D: storage.append(0x5C); storage.append(0x72)
            case 0x41...0x5A where lowercased: storage.append(byte | 0x20)
            default: storage.append(byte)
            }
        }
    }

    /// Ends the row; the next field starts a new one.
    @inlinable @inline(always)
    public mutating func endRow() {
        storage.append(0x0A)
        isFirstInRow = true
    }
}
