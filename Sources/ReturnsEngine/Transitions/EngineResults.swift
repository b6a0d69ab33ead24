import Foundation
import ReturnsCore
import ReturnsStore

/// A request for a new return.
public struct NewReturn: Sendable, Hashable {
    /// The workflow to follow; nil lets the policy route the return.
    public var workflow: String?
    public var orderRef: String
    public var customerEmail: String
    public var locale: String
    public var items: [ReturnItem]
    /// When the order was placed (or, with `delivered`, received), for the return window; nil means today.
    public var orderedAt: Date?
    /// Whether `orderedAt` is the delivery date (the order of record knows it).
    public var delivered = false
    /// The shop's customer id of the order of record, so returns of all their orders count together.
    public var customerID: String?
    /// Where the customer ships from, for choosing a logistics partner.
    public var region: String?
    /// Take the workflow's first step in the same transaction: issue the shipping label, or approve a keep-it
    /// refund. The HTTP API does; the CLI leaves the first step to `returns return event` unless told.
    public var startsAtOnce: Bool
    /// How each item is settled, by index; an item without one is refunded. Only returns made from an order of
    /// record are offered more than a refund.
    public var resolutions: [LineResolution] = []

    public init(
        workflow: String?, orderRef: String, customerEmail: String, locale: String = "en", items: [ReturnItem],
        orderedAt: Date? = nil, region: String? = nil, startsAtOnce: Bool = false
    ) {
        self.workflow = workflow
        self.orderRef = orderRef
        self.customerEmail = customerEmail
        self.locale = locale
        self.items = items
        self.orderedAt = orderedAt
        self.region = region
        self.startsAtOnce = startsAtOnce
    }
}

/// How one item of a new return is settled, and for an exchange the variant wanted.
public struct LineResolution: Sendable, Hashable {
    public var resolution: Resolution
    public var exchangeSKU: String?

    public init(_ resolution: Resolution, exchangeSKU: String? = nil) {
        self.resolution = resolution
        self.exchangeSKU = exchangeSKU
    }
}

/// What creating a return answers: the id for staff and partners, the token for the customer.
public struct CreatedReturn: Sendable, Hashable, Codable {
    public var id: UUID
    public var token: String
    public var state: String
    public var workflow: String
    public var workflowVersion: Int
    /// Why the policy chose this workflow (empty when the caller named it).
    public var routing: String
    /// The logistics partner the return was assigned to, if any.
    public var partner: String?
    /// True when this answers a repeated idempotency key; nothing new was written.
    public var replayed: Bool
}

/// What applying one event did.
public struct TransitionResult: Sendable, Hashable, Codable {
    public var returnID: UUID
    public var event: String
    public var from: String
    public var to: String
    public var seq: Int
    /// True when this answers a repeated idempotency key; nothing new was written.
    public var replayed: Bool
}

/// Everything known about one return.
public struct ReturnDetails: Sendable, Codable {
    public var record: ReturnRecord
    /// Each line with what happened to it: received, graded, refunded.
    public var items: [ItemState]
    public var history: [HistoryEntry]
    public var pendingTimers: [PendingTimer]
    public var refunds: [RefundRecord]
    /// What the customer is told about the current state.
    public var stateDescription: String
    /// Settlements, exchange orders, charges, store credit and reviews of its lines.
    public var resolutions: ReturnResolutions

    public struct PendingTimer: Sendable, Codable {
        public var name: String
        public var event: String
        public var dueAt: Date
    }
}

/// What one pass of the timer worker did.
public struct TimerReport: Sendable, Hashable, Codable {
    /// Timers whose event was applied.
    public var fired = 0
    /// Timers dropped because their return had moved on.
    public var discarded = 0
    /// Timers left for later because their return was busy with another transaction.
    public var busy = 0

    public init() {}
}
