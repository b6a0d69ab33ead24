/// How long one transaction may wait for a lock, and run one statement, before PostgreSQL gives up on it
/// (`lock_timeout`, `statement_timeout`, set with `SET LOCAL` semantics so they end with the transaction).
///
/// Every engine transaction runs under `DatabaseSettings.transactionLimits`: a return held locked by another session
/// is answered within `lockTimeout` (`StoreError.lockTimeout`) instead of holding the request, and its pooled
/// connection, for as long as the other session keeps it. Work that waits or runs long on purpose says so with
/// `.unbounded`: the migrator (its advisory lock waits for another process's migration), and the reconciliation
/// run, whose COPY and matching statements are as long as the file.
public struct TransactionLimits: Sendable, Hashable, CustomStringConvertible {
    /// nil: wait as long as it takes.
    public var lockTimeout: Duration?
    /// nil: no limit.
    public var statementTimeout: Duration?

    public init(lockTimeout: Duration?, statementTimeout: Duration?) {
        self.lockTimeout = lockTimeout
        self.statementTimeout = statementTimeout
    }

    /// 2 s for a lock, 30 s for a statement: a transition takes milliseconds, so a wait of seconds means another
    /// session holds the return, and a statement of half a minute inside a command is a fault.
    public static let standard = TransactionLimits(lockTimeout: .seconds(2), statementTimeout: .seconds(30))
    /// No limits, whatever the server's or role's defaults say.
    public static let unbounded = TransactionLimits(lockTimeout: nil, statementTimeout: nil)

    /// The value for `set_config`: whole milliseconds, `0` for none (PostgreSQL's "no limit").
    static func setting(_ limit: Duration?) -> String {
        guard let limit else { return "0" }
        let (seconds, attoseconds) = limit.components
        return "\(max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))ms"
    }

    var lockSetting: String { Self.setting(lockTimeout) }
    var statementSetting: String { Self.setting(statementTimeout) }

    public var description: String { "lock_timeout \(lockSetting), statement_timeout \(statementSetting)" }

    /// Parses `500ms`, `2s`, `1m`, or `0` / `off` for no limit; nil when it is none of these.
    public static func parse(_ text: String) -> Duration?? {
        if text == "0" || text == "off" { return .some(nil) }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            // "ms" also ends in "s": a number part that is not all digits is the wrong unit.
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let count = Int64(number), count > 0,
                count <= 86_400_000 / scale
            else { continue }
            return .some(.milliseconds(count * scale))
        }
        return nil
    }
}
