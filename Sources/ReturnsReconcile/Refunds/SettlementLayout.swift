/// Which columns of a settlement file hold what `reconcile refunds` needs, for our own format and for the payment
/// processors' real exports (`--preset`), adjusted with `--map FIELD=COLUMN`.
public struct SettlementLayout: Sendable, Equatable {
    public enum Preset: String, Sendable, CaseIterable {
        /// Our format: refund_id, processor_reference, amount, currency, status, settled_at.
        case standard
        /// Stripe's itemized balance change report.
        case stripe
        /// Adyen's settlement details report.
        case adyen
        /// A gift-card provider's report of the cards it issued: gift_card_id, code, amount, currency, status
        /// (issued, failed, voided), issued_at. What `returns reconcile credits` reads.
        case giftCards = "gift_cards"
    }

    /// What a settlement line tells us.
    public enum Field: String, Sendable, CaseIterable {
        case refundID = "refund_id"
        case reference = "processor_reference"
        case amount
        case currency
        case status
        case settledAt = "settled_at"
    }

    public var preset: Preset
    /// Header names to look for, per field, first found wins.
    public var columns: [Field: [String]]

    public init(preset: Preset) {
        self.preset = preset
        switch preset {
        case .standard:
            columns = Dictionary(uniqueKeysWithValues: Field.allCases.map { ($0, [$0.rawValue]) })
        case .stripe:
            columns = [
                .refundID: ["refund_metadata[refund_id]"], .reference: ["source_id", "balance_transaction_id"],
                .amount: ["gross"], .currency: ["currency"], .status: ["reporting_category"],
                .settledAt: ["created_utc"],
            ]
        case .adyen:
            columns = [
                .refundID: ["Modification Merchant Reference", "Merchant Reference"], .reference: ["Psp Reference"],
                .amount: ["Gross Debit (GC)", "Gross Credit (GC)"], .currency: ["Gross Currency"], .status: ["Type"],
                .settledAt: ["Creation Date"],
            ]
        case .giftCards:
            columns = [
                .refundID: ["gift_card_id"], .reference: ["code"], .amount: ["amount"], .currency: ["currency"],
                .status: ["status"], .settledAt: ["issued_at"],
            ]
        }
    }

    /// Applies `--map FIELD=COLUMN` arguments.
    public mutating func map(_ arguments: [String]) throws(ReconcileError) {
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty, let field = Field(rawValue: parts[0]) else {
                throw .usage(
                    "--map '\(argument)' is not FIELD=COLUMN with FIELD one of "
                        + Field.allCases.map(\.rawValue).joined(separator: ", "))
            }
            columns[field] = [parts[1]]
        }
    }

    /// What a status-column value means for this layout.
    func reading(status value: String) -> StatusReading {
        switch preset {
        case .standard:
            return SettlementStatus(rawValue: value.lowercased()).map(StatusReading.status) ?? .unknown
        case .stripe:
            switch value {
            case "refund": return .status(.settled)
            case "refund_failure": return .status(.failed)
            default: return .skip
            }
        case .adyen:
            switch value {
            case "Refunded": return .status(.settled)
            case "RefundedReversed": return .status(.reversed)
            default: return .skip
            }
        case .giftCards:
            switch value.lowercased() {
            case "issued": return .status(.settled)
            case "failed": return .status(.failed)
            case "voided": return .status(.reversed)
            default: return .unknown
            }
        }
    }

    /// The status words a line of this layout may hold, for the error that names them.
    var statusWords: String { preset == .giftCards ? "issued, failed, voided" : "settled, failed, reversed" }

    enum StatusReading: Equatable {
        case status(SettlementStatus)
        /// Another kind of row in a processor's export (a payment, a fee): counted, not reconciled.
        case skip
        case unknown
    }
}
