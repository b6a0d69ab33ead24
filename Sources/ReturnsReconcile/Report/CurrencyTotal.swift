/// Both sides' refund totals in one currency.
public struct CurrencyTotal: Sendable, Hashable {
    public var currency: String
    public var engineMinor: Int64
    public var settlementMinor: Int64
    public var differenceMinor: Int64 { settlementMinor - engineMinor }

    public init(currency: String, engineMinor: Int64, settlementMinor: Int64) {
        self.currency = currency
        self.engineMinor = engineMinor
        self.settlementMinor = settlementMinor
    }
}
