/// Where a refund stands, as the `refunds.status` column spells it.
public enum RefundStatus: String, Sendable, CaseIterable {
    /// Waiting to be sent to the provider, or to be retried.
    case pending
    /// Handed to the provider, its outcome not yet known (the schema has it; the shipped providers answer at once).
    case sent
    /// The provider paid it.
    case succeeded
    /// The provider refused it for good, or every attempt failed.
    case failed
}
