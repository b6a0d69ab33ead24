/// The events the engine applies by name, rather than as a caller's command. A workflow that offers these
/// steps must call them by these names; `EngineContract` checks the ones a workflow cannot do without.
public enum EngineEvent: String, Sendable, CaseIterable {
    /// The first step of a return that starts at once (HTTP requests): a shipping label.
    case issueLabel = "issue_label"
    /// The first step of a keep-it return that starts at once; also the last step of a partner's inspection
    /// report in workflows that approve the refund separately.
    case approveRefund = "approve_refund"
    /// A partner's carrier scan of the pickup.
    case ship
    /// A partner's carrier scan in transit, delivered or exception.
    case scan
    /// A partner's receipt.
    case receive
    /// A partner's inspection report: inspect, then grade where the workflow grades separately.
    case inspect
    case grade
    /// The customer cancels through the status token.
    case cancel
    /// The refund worker: the provider paid the refund.
    case refundSucceeded = "refund_succeeded"
    /// The refund worker: the refund failed for good.
    case refundDeclined = "refund_declined"
    /// The refund computed when one is issued came to nothing (every line graded to nothing, or already refunded):
    /// applied in the same transaction as the step that issued it, from the state that step reached.
    case nothingToRefund = "nothing_to_refund"
    /// The units were settled with no money left to send: store credit, an exchange, or a refund released before
    /// inspection. Applied like `nothing_to_refund`, which a workflow without this step takes instead.
    case settled
    /// Finance sends a failed refund again (also how a refund paid after its return gave up waiting is recorded).
    case retryRefund = "retry_refund"

    /// What starts a return when its request asks to start at once: the first of these its initial state takes
    /// (a shipping label for returns that ship, the refund for keep-it returns).
    public static let startEvents: [EngineEvent] = [.issueLabel, .approveRefund]

    /// The steps of a partner's inspection report, each applied while the workflow takes it.
    public static let inspectionSteps: [EngineEvent] = [.inspect, .grade, .approveRefund]
}
