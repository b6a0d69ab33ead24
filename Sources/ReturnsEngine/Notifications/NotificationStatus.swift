/// Where a notification in the outbox stands, as the `outbox.status` column spells it.
public enum NotificationStatus: String, Sendable, CaseIterable {
    /// Due now or waiting for its next attempt.
    case pending
    /// The channel accepted it.
    case delivered
    /// Parked after its last attempt failed; `returns notify retry` sends it again.
    case dead
}
