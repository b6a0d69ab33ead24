/// What the processor says happened to a refund.
public enum SettlementStatus: String, Sendable {
    case settled, failed, reversed
}
