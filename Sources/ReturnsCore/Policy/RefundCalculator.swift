/// One order line as the refund sees it.
public struct RefundLine: Sendable, Hashable {
    public var line: Int
    public var unitPriceMinor: Int64
    /// Quantity returned (as ordered on the return).
    public var quantity: Int
    /// Quantity the partner received so far.
    public var received: Int
    /// Quantity refunded by earlier refunds.
    public var alreadyRefunded: Int
    /// Grade from inspection; nil when not graded.
    public var grade: Grade?
    public var reason: String
    /// Units inspections graded; nil: every received unit (a line graded once, whole).
    public var graded: Int?
    /// Graded units judged to no refund by an earlier grade (wrong_item, empty_box): never paid later.
    public var writtenOff: Int

    public init(
        line: Int, unitPriceMinor: Int64, quantity: Int, received: Int, alreadyRefunded: Int = 0, grade: Grade?,
        reason: String, graded: Int? = nil, writtenOff: Int = 0
    ) {
        self.line = line
        self.unitPriceMinor = unitPriceMinor
        self.quantity = quantity
        self.received = received
        self.alreadyRefunded = alreadyRefunded
        self.grade = grade
        self.reason = reason
        self.graded = graded
        self.writtenOff = writtenOff
    }
}

/// A refund with every deduction itemized: `net = gross - sum(deductions)`, never negative.
public struct RefundBreakdown: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public var line: Int
        public var quantity: Int
        public var grossMinor: Int64
    }

    public struct Deduction: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case restockingFee = "restocking_fee"
            case labelCost = "label_cost"
        }

        public var kind: Kind
        public var line: Int?
        public var amountMinor: Int64
    }

    public var currency: String
    public var lines: [Line]
    public var deductions: [Deduction]
    public var grossMinor: Int64
    public var netMinor: Int64
    /// Whether this refund carries the return's label cost (charged once per return).
    public var chargesLabel: Bool { deductions.contains { $0.kind == .labelCost } }
}

extension ReturnPolicy {
    /// The refund due now for `lines`: what was received and graded (or, for keep-it, what was ordered) and not
    /// yet refunded or written off, graded refundable, less restocking fees per grade and, once per return, the label cost unless
    /// a line's reason waives it. Never negative, never above what was paid for the refunded quantities.
    public func refund(
        for lines: [RefundLine], currency: Currency, labelAlreadyCharged: Bool, requiresReceipt: Bool = true
    ) -> RefundBreakdown {
        var refunded: [RefundBreakdown.Line] = []
        var deductions: [RefundBreakdown.Deduction] = []
        var remaining: Int64 = 0
        for line in lines {
            // Only judged units are paid: graded, and not refunded or written off before.
            let judged = min(line.graded ?? line.received, line.received, line.quantity)
            let available =
                requiresReceipt ? judged - line.alreadyRefunded - line.writtenOff : line.quantity - line.alreadyRefunded
            guard available > 0 else { continue }
            if requiresReceipt, line.grade?.isRefundable != true { continue }
            let (gross, overflow) = line.unitPriceMinor.multipliedReportingOverflow(by: Int64(available))
            guard !overflow else { continue }
            refunded.append(.init(line: line.line, quantity: available, grossMinor: gross))
            remaining += gross
            if let grade = line.grade, let fee = restockingFees[grade] {
                // The fee's minimum and maximum hold for the whole line, however many refunds it takes:
                // charge the fee on everything refunded so far, less what earlier refunds charged.
                let earlier = line.unitPriceMinor.multipliedReportingOverflow(by: Int64(line.alreadyRefunded))
                let total = gross.addingReportingOverflow(earlier.partialValue)
                let amount =
                    earlier.overflow || total.overflow
                    ? Self.fee(fee, on: gross, currency: currency.code)
                    : Self.fee(fee, on: total.partialValue, currency: currency.code)
                        - Self.fee(fee, on: earlier.partialValue, currency: currency.code)
                if amount > 0 {
                    deductions.append(.init(kind: .restockingFee, line: line.line, amountMinor: amount))
                    remaining -= amount
                }
            }
        }
        let waived = lines.contains { freeLabelReasons.contains($0.reason) }
        if !labelAlreadyCharged, !waived, requiresReceipt, !refunded.isEmpty, let cost = labelCost[currency.code] {
            let amount = min(cost, remaining)
            if amount > 0 {
                deductions.append(.init(kind: .labelCost, line: nil, amountMinor: amount))
                remaining -= amount
            }
        }
        let gross = refunded.reduce(0) { $0 + $1.grossMinor }
        return RefundBreakdown(
            currency: currency.code, lines: refunded, deductions: deductions, grossMinor: gross,
            netMinor: remaining)
    }

    /// A percentage of `gross`, rounded half up, clamped to the fee's minimum and maximum and to `gross` itself.
    static func fee(_ fee: Fee, on gross: Int64, currency: String) -> Int64 {
        // gross × percent / 100, rounded half up, without forming gross × percent: that product overflows for
        // amounts past Int64.max / 100 (9.2e16 minor units), where the fee used to become the whole line.
        // With gross = 100q + r: (gross × p + 50) / 100 = q × p + (r × p + 50) / 100, exactly.
        let percent = Int64(min(max(fee.percent, 0), 100))
        let (whole, remainder) = gross.quotientAndRemainder(dividingBy: 100)
        var amount = whole * percent + (remainder * percent + 50) / 100
        if fee.percent > 0, let minimum = fee.minimum[currency] { amount = max(amount, minimum) }
        if let maximum = fee.maximum[currency] { amount = min(amount, maximum) }
        return min(max(amount, 0), gross)
    }
}
