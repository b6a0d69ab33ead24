import Foundation

/// What the engine's records of one partner's receipts and inspections are read for: the partner, which events
/// are receipts and which end an inspection, the SLA per workflow, and the period. Shared by the manifest's
/// matching and the scorecard, which read the same records.
public struct PartnerInspections: Sendable, Hashable {
    public var partnerID: Int64
    /// Events whose transitions record a receipt.
    public var receiptEvents: [String]
    /// Events that end the inspection.
    public var inspectionEvents: [String]
    /// Seconds from receipt to inspection allowed, per workflow name.
    public var slaSeconds: [String: Int]
    /// [from, to); nil leaves that end open.
    public var from: Date?
    public var to: Date?

    public init(
        partnerID: Int64, receiptEvents: [String], inspectionEvents: [String], slaSeconds: [String: Int],
        from: Date? = nil, to: Date? = nil
    ) {
        self.partnerID = partnerID
        self.receiptEvents = receiptEvents
        self.inspectionEvents = inspectionEvents
        self.slaSeconds = slaSeconds
        self.from = from
        self.to = to
    }
}
