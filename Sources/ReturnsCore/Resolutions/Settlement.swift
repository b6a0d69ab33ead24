/// How one judged line is to be settled: its resolution now (an exchange that fell back is a refund or credit), and
/// for an exchange the unit price of the replacement that shipped.
public struct SettlementLine: Sendable, Hashable {
    public var line: Int
    public var resolution: Resolution
    public var replacementUnitMinor: Int64?

    public init(line: Int, resolution: Resolution, replacementUnitMinor: Int64? = nil) {
        self.line = line
        self.resolution = resolution
        self.replacementUnitMinor = replacementUnitMinor
    }
}

/// What a return's judged units come to, itemised per line and per resolution: money to the original payment
/// (`refundMinor`), store credit (`creditMinor`, plus the shop's `bonusMinor`), and the price differences of
/// exchanges charged (`chargeMinor`). `deductions` are the restocking fees and the label cost actually taken.
public struct Settlement: Sendable, Hashable, Codable {
    /// How an exchange's price difference was settled.
    public enum Difference: String, Sendable, Hashable, Codable {
        /// No money moves: the price rule says so, or the prices match.
        case even
        /// Smaller than the policy's threshold.
        case waived
        /// The replacement cost more: charged to the original payment.
        case charged
        /// The replacement cost less: refunded to the original payment…
        case refunded
        /// …or credited.
        case credited
    }

    public struct Line: Sendable, Hashable, Codable {
        public var line: Int
        public var resolution: Resolution
        public var quantity: Int
        /// What the units were paid, before fees.
        public var grossMinor: Int64
        public var feeMinor: Int64
        /// Gross less fees: what the units are worth to the customer.
        public var netMinor: Int64
        /// For an exchange: what the replacement units cost, the difference (replacement less net) and how it
        /// was settled.
        public var replacementMinor: Int64?
        public var differenceMinor: Int64?
        public var difference: Difference?
    }

    public var currency: String
    public var lines: [Line]
    public var deductions: [RefundBreakdown.Deduction]
    public var grossMinor: Int64
    public var refundMinor: Int64
    public var creditMinor: Int64
    public var bonusMinor: Int64
    public var chargeMinor: Int64

    /// Whether nothing moves: no money back, no credit, no charge, no exchange settled.
    public var isEmpty: Bool {
        refundMinor == 0 && creditMinor == 0 && bonusMinor == 0 && chargeMinor == 0
            && !lines.contains { $0.resolution == .exchange }
    }
    public var labelMinor: Int64 { deductions.filter { $0.kind == .labelCost }.reduce(0) { $0 + $1.amountMinor } }
}

extension ReturnPolicy {
    /// Settles the units `breakdown` judged refundable, each line by its resolution (`lines`; a line not named is
    /// a refund). Fees are the breakdown's; the label cost is taken from the money going back (the refund first,
    /// then the credit) and is not charged on top of an exchange. The credit bonus is the policy's percentage of
    /// the credited lines' value before fees, plus its flat amount unless `bonusGiven` (once per return).
    ///
    /// Never more than what the units were paid goes back: a refund or credit is a line's net, a downsell's
    /// difference is less than the returned units' net.
    public func settle(_ breakdown: RefundBreakdown, lines: [Int: SettlementLine], bonusGiven: Bool) -> Settlement {
        let currency = breakdown.currency
        var settled: [Settlement.Line] = []
        var refund: Int64 = 0
        var credit: Int64 = 0
        var creditGross: Int64 = 0
        var charge: Int64 = 0
        let fees = breakdown.deductions.filter { $0.kind == .restockingFee }
        for paid in breakdown.lines {
            let fee = fees.filter { $0.line == paid.line }.reduce(0) { $0 + $1.amountMinor }
            let net = paid.grossMinor - fee
            let wanted = lines[paid.line] ?? SettlementLine(line: paid.line, resolution: .refund)
            var line = Settlement.Line(
                line: paid.line, resolution: wanted.resolution, quantity: paid.quantity, grossMinor: paid.grossMinor,
                feeMinor: fee, netMinor: net)
            switch wanted.resolution {
            case .refund:
                refund += net
            case .storeCredit:
                credit += net
                // The bonus rewards credit taken instead of money: none on a line that comes to nothing.
                if net > 0 { creditGross += paid.grossMinor }
            case .exchange:
                let (replacement, overflow) = (wanted.replacementUnitMinor ?? 0).multipliedReportingOverflow(
                    by: Int64(paid.quantity))
                // An exchange without a replacement price cannot be settled as one: it is paid back as a refund.
                guard wanted.replacementUnitMinor != nil, !overflow else {
                    line.resolution = .refund
                    refund += net
                    break
                }
                line.replacementMinor = replacement
                let difference = exchange.price == .settleDifference ? replacement - net : 0
                line.differenceMinor = difference
                line.difference = exchange.settlement(of: difference, currency: currency)
                switch line.difference {
                case .charged: charge += difference
                case .credited: credit -= difference
                case .refunded: refund -= difference
                case .even, .waived, nil: break
                }
            }
            settled.append(line)
        }
        var deductions = fees
        if let label = breakdown.deductions.first(where: { $0.kind == .labelCost }) {
            let fromRefund = min(label.amountMinor, refund)
            let fromCredit = min(label.amountMinor - fromRefund, credit)
            refund -= fromRefund
            credit -= fromCredit
            if fromRefund + fromCredit > 0 {
                deductions.append(.init(kind: .labelCost, line: nil, amountMinor: fromRefund + fromCredit))
            }
        }
        var bonus: Int64 = 0
        if creditGross > 0 {
            bonus = Self.fee(Fee(percent: storeCreditTerms.bonusPercent), on: creditGross, currency: currency)
            if !bonusGiven { bonus += storeCreditTerms.bonusFlat[currency] ?? 0 }
        }
        return Settlement(
            currency: currency, lines: settled, deductions: deductions, grossMinor: breakdown.grossMinor,
            refundMinor: refund, creditMinor: credit, bonusMinor: bonus, chargeMinor: charge)
    }

    var storeCreditTerms: StoreCreditTerms { resolutions.storeCredit }
    var exchange: ExchangeTerms { resolutions.exchange }
}

extension ExchangeTerms {
    /// How an exchange's price difference (replacement less what the returned units are worth) is settled: none, or
    /// under the threshold, moves nothing; more is charged; less goes back as the policy's downsell says.
    public func settlement(of difference: Int64, currency: String) -> Settlement.Difference {
        if difference == 0 { return .even }
        if abs(difference) < (waiveBelow[currency] ?? 0) { return .waived }
        if difference > 0 { return .charged }
        return downsell == .storeCredit ? .credited : .refunded
    }
}
