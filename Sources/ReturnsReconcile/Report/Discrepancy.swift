import ReturnsCore
import ReturnsStore

/// One place where the file and the engine disagree.
public struct Discrepancy: Sendable, Hashable {
    public var kind: String
    /// "refund_id" or "return_id": what `key` is.
    public var keyName: String
    public var key: String
    /// The file's line (nil when the engine has something the file lacks).
    public var line: Int?
    /// What the engine holds.
    public var expected: String?
    /// What the file says.
    public var actual: String?

    public init(kind: String, keyName: String, key: String, line: Int?, expected: String?, actual: String?) {
        self.kind = kind
        self.keyName = keyName
        self.key = key
        self.line = line
        self.expected = expected
        self.actual = actual
    }

    /// A discrepancy the matching SQL stored, its amounts written out in their currency after the words around them.
    init(_ row: ReconcileRun.ResultRow, keyName: String) {
        func text(_ words: String?, _ minor: Int64?) -> String? {
            guard let minor else { return words }
            let amount =
                Money.decimalString(minorUnits: minor, currencyCode: row.currency ?? "") + " " + (row.currency ?? "")
            return words.map { "\($0) " + amount } ?? amount
        }
        self.init(
            kind: row.kind, keyName: keyName, key: row.key, line: row.line,
            expected: text(row.expected, row.expectedMinor),
            actual: text(row.actual, row.actualMinor))
    }
}
