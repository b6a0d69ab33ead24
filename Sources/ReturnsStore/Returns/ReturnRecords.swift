import Foundation

/// A return as stored: where it is in its workflow and who it belongs to.
public struct ReturnRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var statusToken: String
    public var workflowName: String
    public var workflowVersion: Int
    public var state: String
    public var version: Int
    public var orderRef: String
    public var customerEmail: String
    public var locale: String
    public var currency: String
    public var paidMinor: Int64
    public var createdAt: Date
    public var updatedAt: Date
    /// The logistics partner the return is assigned to; nil for returns no partner handles.
    public var partnerID: Int64?

    public init(
        id: UUID, statusToken: String, workflowName: String, workflowVersion: Int, state: String, version: Int,
        orderRef: String, customerEmail: String, locale: String, currency: String, paidMinor: Int64, createdAt: Date,
        updatedAt: Date, partnerID: Int64? = nil
    ) {
        self.id = id
        self.statusToken = statusToken
        self.workflowName = workflowName
        self.workflowVersion = workflowVersion
        self.state = state
        self.version = version
        self.orderRef = orderRef
        self.customerEmail = customerEmail
        self.locale = locale
        self.currency = currency
        self.paidMinor = paidMinor
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.partnerID = partnerID
    }
}

/// One line of a return's history.
public struct HistoryEntry: Sendable, Hashable, Codable {
    public var seq: Int
    public var event: String
    public var from: String?
    public var to: String
    public var actor: String
    public var data: String
    public var at: Date
}

/// One stored item line.
public struct ItemRecord: Sendable, Hashable, Codable {
    public var line: Int
    public var sku: String
    public var quantity: Int
    public var unitPriceMinor: Int64
    public var currency: String
    public var category: String
    public var reason: String
    /// The order line it was made from; nil for a return made without an order of record.
    public var orderLine: String?
    /// How the line is settled (`Resolution`), and for an exchange the variant asked for.
    public var resolution: String
    public var exchangeSKU: String?

    public init(
        line: Int, sku: String, quantity: Int, unitPriceMinor: Int64, currency: String, category: String = "general",
        reason: String = "changed_mind", orderLine: String? = nil, resolution: String = "refund",
        exchangeSKU: String? = nil
    ) {
        self.orderLine = orderLine
        self.resolution = resolution
        self.exchangeSKU = exchangeSKU
        self.line = line
        self.sku = sku
        self.quantity = quantity
        self.unitPriceMinor = unitPriceMinor
        self.currency = currency
        self.category = category
        self.reason = reason
    }
}

/// What a customer's status page is made from (`ReturnRepository.statusSnapshot`).
public struct StatusSnapshot: Sendable, Hashable {
    public struct Change: Sendable, Hashable {
        /// The state entered.
        public var state: String
        public var at: Date
    }

    public var record: ReturnRecord
    /// The history entries that changed the state, in order (the first one creates the return).
    public var changes: [Change]
    /// When the earliest pending timer is due.
    public var nextDue: Date?
    /// The total of the refunds that have not failed, in minor units of the return's currency, and their count.
    public var refundedMinor: Int64
    public var refunds: Int
    /// Whether the provider confirmed every one of those refunds.
    public var refundsAllSent: Bool
    /// The return's lines: what, how many, how each is settled (an exchange that fell back as its fallback).
    public var lines: [Line] = []
    /// Store credit the return gave, bonus included, in minor units.
    public var creditedMinor: Int64 = 0

    public struct Line: Sendable, Hashable {
        public var sku: String
        public var quantity: Int
        public var resolution: String
        public var exchangeSKU: String?
    }
}

/// A timer as the worker sees it when it claims it.
public struct TimerRecord: Sendable, Hashable {
    public var id: Int64
    public var returnID: UUID
    public var name: String
    public var event: String
    public var state: String
    public var dueAt: Date
}

/// A refund row.
public struct RefundRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var idempotencyKey: String
    public var amountMinor: Int64
    public var currency: String
    public var status: String
}

/// An idempotency key already used, with the fingerprint of the request that first used it.
public struct IdempotencyRecord: Sendable, Hashable {
    public var requestHash: String
    public var response: String
}

/// Work waiting on the workers, for metrics and readiness.
public struct PendingWork: Sendable, Hashable, Codable {
    /// Pending timers already past their due time.
    public var timersOverdue: Int
    public var outboxPending: Int
    /// Seconds since the oldest pending notification was written; 0 when none is pending.
    public var outboxOldestPendingAgeSeconds: Double
}
