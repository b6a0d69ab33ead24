/// The counts and totals of one reconciliation, known before its discrepancies are listed.
public struct ReconcileSummary: Sendable, Hashable {
    /// Every kind the reconciliation knows, in the order to show them, with its count (zero included).
    public var counts: [(kind: String, count: Int)]
    /// Per currency, for refunds: the engine's total, the settlement's, and the difference (minor units).
    public var totals: [CurrencyTotal]
    /// Lines of other kinds in a processor's export (payments, fees) that were skipped.
    public var skipped: Int
    /// Lines read from the file (header and skipped lines excluded).
    public var lines: Int

    public init(counts: [(kind: String, count: Int)], totals: [CurrencyTotal] = [], skipped: Int = 0, lines: Int) {
        self.counts = counts
        self.totals = totals
        self.skipped = skipped
        self.lines = lines
    }

    /// Every kind of `kinds` with its count in `found`; the first, "matched", with `matched` instead.
    static func counts(of kinds: [String], matched: Int, found: [String: Int]) -> [(kind: String, count: Int)] {
        var counts = kinds.map { (kind: $0, count: found[$0] ?? 0) }
        counts[0].count = matched
        return counts
    }

    public var matched: Int { counts.first { $0.kind == "matched" }?.count ?? 0 }
    public var discrepancies: Int { counts.filter { $0.kind != "matched" }.reduce(0) { $0 + $1.count } }

    public static func == (a: Self, b: Self) -> Bool {
        a.counts.map(\.kind) == b.counts.map(\.kind) && a.counts.map(\.count) == b.counts.map(\.count)
            && a.totals == b.totals && a.skipped == b.skipped && a.lines == b.lines
    }

    public func hash(into hasher: inout Hasher) {
        for (kind, count) in counts {
            hasher.combine(kind)
            hasher.combine(count)
        }
        hasher.combine(totals)
    }
}
