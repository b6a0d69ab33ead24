/// A line the customer means to return, as the estimate sees it: what a unit was paid, how many, why, and how it
/// is to be settled (for an exchange, what a unit of the replacement costs).
public struct EstimatedLine: Sendable, Hashable {
    public var unitPriceMinor: Int64
    public var quantity: Int
    public var reason: String
    public var resolution: Resolution
    public var replacementUnitMinor: Int64?

    public init(
        unitPriceMinor: Int64, quantity: Int, reason: String, resolution: Resolution, replacementUnitMinor: Int64? = nil
    ) {
        self.unitPriceMinor = unitPriceMinor
        self.quantity = quantity
        self.reason = reason
        self.resolution = resolution
        self.replacementUnitMinor = replacementUnitMinor
    }
}

extension ReturnPolicy {
    /// What a return of `lines` comes to if every unit arrives unused (grade A): the refund and settlement the engine
    /// computes at inspection, with the same fees, label cost and bonus, for the customer to see before confirming.
    /// Lines are numbered from 1 in the order given. A return that will not be shipped (`shipped` false: kept by
    /// the customer) carries no label cost.
    public func estimate(_ lines: [EstimatedLine], currency: Currency, shipped: Bool = true) -> Settlement {
        let refundLines = lines.enumerated().map { index, line in
            RefundLine(
                line: index + 1, unitPriceMinor: line.unitPriceMinor, quantity: line.quantity, received: line.quantity,
                grade: .a, reason: line.reason)
        }
        let breakdown = refund(
            for: refundLines, currency: currency, labelAlreadyCharged: false, requiresReceipt: shipped)
        var resolutions: [Int: SettlementLine] = [:]
        for (index, line) in lines.enumerated() {
            resolutions[index + 1] = SettlementLine(
                line: index + 1, resolution: line.resolution, replacementUnitMinor: line.replacementUnitMinor)
        }
        return settle(breakdown, lines: resolutions, bonusGiven: false)
    }
}
