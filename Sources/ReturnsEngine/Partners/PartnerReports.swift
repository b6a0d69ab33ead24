import Foundation
import ReturnsCore
import ReturnsStore

/// What logistics partners report on the returns assigned to them (scans, receipts, inspections), and their view
/// of those returns. Every report goes through `Transitions.apply` under the partner's idempotency key, scoped to
/// the partner: a return assigned to another partner is not found.
public struct PartnerReports: Sendable {
    let engine: Engine

    /// Applies a carrier scan: `picked_up` ships the return (`tracking_number` required), the others record progress.
    public func scan(_ kind: ScanKind, data: [String: JSONValue], by report: PartnerReport) async throws
        -> TransitionResult
    {
        var data = data
        data["kind"] = .string(kind.rawValue)
        return try await apply(kind.event, data: data, by: report)
    }

    /// Applies a receipt: `items` with `line` and `quantity` (what arrived), plus the partner's flags and notes.
    public func receipt(data: [String: JSONValue], by report: PartnerReport) async throws -> TransitionResult {
        try await apply(.receive, data: data, by: report)
    }

    /// Applies an inspection with its grades and dispositions. In a workflow that inspects, grades and approves the
    /// refund as separate steps, each step the workflow takes next is applied in turn, in one transaction, each
    /// under a key derived from the report's (`Transitions.apply(steps:)`): a later step refused leaves the ones
    /// before it applied, and the report re-sent replays them and finishes the rest. The whole report is checked in
    /// the first step, on the locked return, before anything is written: a report naming a line that does not
    /// exist or never arrived, or overriding a disposition without a reason, changes nothing.
    public func inspection(data: [String: JSONValue], by report: PartnerReport) async throws -> [TransitionResult] {
        let engine = self.engine
        let check: @Sendable (ReturnRecord, DatabaseConnection) async throws -> Void = { record, connection in
            let items = try await engine.store.items.itemStates(of: record.id, on: connection)
            _ = try DecisionWriter.checkedInspections(in: data, items: items, policy: engine.catalog.policy)
        }
        let steps = EngineEvent.inspectionSteps.enumerated().map { index, event in
            (event.rawValue, index == 0 ? report.idempotencyKey : IdempotencyKey.step(report.idempotencyKey, event: event.rawValue))
        }
        return try await engine.transitions.apply(
            steps: steps, to: report.returnID, actor: report.actor, data: data, expectedVersion: report.expectedVersion,
            partnerID: report.partnerID, check: check)
    }

    /// A partner's view of one of its returns; nil when it does not exist or is not assigned to the partner.
    public func details(of id: UUID, partnerID: Int64) async throws -> ReturnDetails? {
        do {
            let details = try await engine.lookup.details(of: id)
            return details.record.partnerID == partnerID ? details : nil
        } catch EngineError.returnNotFound {
            return nil
        }
    }

    /// A page of the partner's returns in the order they last changed. `cursor` is the previous page's
    /// `nextCursor`; nil starts at the beginning.
    public func queue(
        partnerID: Int64, state: String?, updatedSince: Date?, limit: Int, cursor: String?
    ) async throws -> (returns: [ReturnRecord], nextCursor: String?) {
        let after = try PageCursor.position(after: cursor)
        let rows = try await engine.read { [engine] connection in
            try await engine.store.partners.queue(
                partnerID: partnerID, state: state, updatedSince: updatedSince, after: after, limit: limit + 1,
                on: connection)
        }
        return PageCursor.page(rows, limit: limit) { ($0.updatedAt, $0.id) }
    }

    private func apply(_ event: EngineEvent, data: [String: JSONValue], by report: PartnerReport) async throws
        -> TransitionResult
    {
        try await engine.transitions.apply(
            event.rawValue, to: report.returnID, idempotencyKey: report.idempotencyKey, actor: report.actor,
            data: data, expectedVersion: report.expectedVersion, partnerID: report.partnerID)
    }
}

/// What a carrier reported about a parcel.
public enum ScanKind: String, Sendable, Hashable, CaseIterable, Codable {
    case pickedUp = "picked_up"
    case inTransit = "in_transit"
    case delivered
    case exception

    /// The engine event a scan of this kind applies: the pickup ships the return, the rest are progress.
    var event: EngineEvent { self == .pickedUp ? .ship : .scan }
}

/// A partner's report on a return: who sent it, on what, under which idempotency key.
public struct PartnerReport: Sendable {
    public var returnID: UUID
    public var partnerID: Int64
    public var partnerName: String
    public var idempotencyKey: String
    /// The return's version the partner saw; a report on a changed return is refused.
    public var expectedVersion: Int?
    /// Who the history names: the partner's integration (`partner:NAME`), or the partner's staff member in the
    /// console (`staff:EMAIL`).
    public var actor: String

    public init(
        returnID: UUID, partnerID: Int64, partnerName: String, idempotencyKey: String, expectedVersion: Int?,
        actor: String? = nil
    ) {
        self.actor = actor ?? "partner:\(partnerName)"
        self.returnID = returnID
        self.partnerID = partnerID
        self.partnerName = partnerName
        self.idempotencyKey = idempotencyKey
        self.expectedVersion = expectedVersion
    }

}
