import Foundation
import ReturnsCore
import ReturnsStore

/// What a staff member may not do, said to them.
public enum StaffRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case forbidden(String)

    public var description: String {
        switch self { case .forbidden(let text): text }
    }
}

/// The queues the console shows.
public enum StaffQueue: String, Sendable, Hashable, CaseIterable {
    case reviews
    case refundsFailed = "refunds-failed"
    case deadNotifications = "dead-notifications"
    case followUps = "follow-ups"
    case partnerWork = "partner-work"
    /// Inspections past their SLA: returns the inspection timer escalated.
    case slaBreaches = "sla-breaches"
    /// Exchanges whose stock hold lapsed before the replacement shipped.
    case exchangesWaiting = "exchanges-waiting"
}

/// One return's whole story, as the console shows it.
public struct ReturnStory: Sendable {
    public var details: ReturnDetails
    /// The order of record the return was made from; nil for a return of typed items, and for a partner's staff.
    public var order: StoredOrder?
    public var notifications: [OutboxEntry]
    public var feedback: FeedbackRecord?
    /// Events the workflow allows in the current state.
    public var allowedEvents: [String]
}

/// What staff do in the console, each read scoped to what their role may see (a partner's staff: only that
/// partner's returns; another's is not found) and each action through the engine with an idempotency key, recorded
/// in the return's history with the staff member as actor and in the audit log.
public struct StaffDesk: Sendable {
    let engine: Engine

    /// Returns matching `search`; `partner` names a partner to filter by (a partner's staff always see only theirs).
    public func search(_ search: ReturnSearch, partner: String? = nil, as member: StaffMember, limit: Int = 50) async throws
        -> [ReturnSearchRow]
    {
        var search = search
        if let partner, member.role != .partner {
            guard let id = try await engine.read({ [engine] connection in
                try await engine.store.partners.findPartner(named: partner, on: connection)
            }) else { return [] }
            search.partnerID = id
        }
        if member.role == .partner { search.partnerID = member.partnerID }
        return try await engine.read { [engine, search] connection in
            try await engine.store.staff.search(search, limit: limit, on: connection)
        }
    }

    /// Return `id` with its items, history, timers and money, or nil when there is none the member may see (a
    /// partner's staff: only their partner's).
    public func details(of id: UUID, as member: StaffMember) async throws -> ReturnDetails? {
        let details: ReturnDetails
        do { details = try await engine.lookup.details(of: id) } catch EngineError.returnNotFound { return nil }
        guard member.role != .partner || details.record.partnerID == member.partnerID else { return nil }
        return details
    }

    /// The story of return `id`: its details, notifications, feedback and the events its state allows; nil when
    /// there is none the member may see.
    public func story(of id: UUID, as member: StaffMember) async throws -> ReturnStory? {
        guard let details = try await details(of: id, as: member) else { return nil }
        let (notifications, feedback, definition, order) = try await engine.read { [engine] connection in
            (
                try await engine.store.outbox.list(status: nil, returnID: id, limit: 200, on: connection),
                try await engine.store.feedback.find(id, on: connection),
                try await engine.definition(of: details.record, on: connection),
                // The order's other lines and the units its other returns hold are the shop's, not a partner's.
                member.role == .partner ? nil : try await engine.store.orders.find(returnID: id, on: connection)
            )
        }
        return ReturnStory(
            details: details, order: order, notifications: notifications, feedback: feedback,
            allowedEvents: definition.allowedEvents(in: details.record.state))
    }

    /// Throws `returnNotFound` unless the member may see return `id`.
    func requireVisible(_ id: UUID, _ member: StaffMember) async throws -> ReturnDetails {
        guard let details = try await details(of: id, as: member) else { throw EngineError.returnNotFound(id) }
        return details
    }

    // MARK: - Actions

    /// Finance approves or rejects a return in manual review.
    public func decide(_ event: String, on id: UUID, reason: String?, key: String, as member: StaffMember) async throws
        -> TransitionResult
    {
        _ = try await requireVisible(id, member)
        try require(.finance, member, "approving and rejecting reviews")
        guard ["approve", "reject"].contains(event) else { throw StaffRefusal.forbidden("\(event) is not a review decision") }
        var data: [String: JSONValue] = [:]
        if event == "reject" {
            guard let reason, !reason.isEmpty else {
                throw EngineError.invalidInput(field: "reason", reason: "say why the return is rejected")
            }
            data["reason"] = .string(reason)
        }
        let result = try await engine.transitions.apply(
            event, to: id, idempotencyKey: "console:\(key)", actor: member.actor, data: data)
        if !result.replayed { try await audit(member, event, "return:\(id.uuidString.lowercased())", ["reason": reason ?? ""]) }
        return result
    }

    /// Finance sends a failed refund again; false when it is not failed (already retried).
    public func retryRefund(_ refundID: UUID, as member: StaffMember) async throws -> Bool {
        try require(.finance, member, "retrying refunds")
        let retried = try await engine.refunds.retry(refundID, actor: member.actor)
        if retried { try await audit(member, "retry_refund", "refund:\(refundID.uuidString.lowercased())", [:]) }
        return retried
    }

    /// Operations revive a dead notification; false when it is not dead (already revived).
    public func revive(_ messageID: UUID, as member: StaffMember) async throws -> Bool {
        try require(.ops, member, "reviving notifications")
        let status = try await engine.read { [engine] connection in
            try await engine.store.outbox.status(of: messageID, on: connection)
        }
        guard status == "dead" else { return false }
        try await engine.outbox.retry(messageID)
        try await audit(member, "revive_notification", "notification:\(messageID.uuidString.lowercased())", [:])
        return true
    }

    /// Operations close a "no" answer's follow-up with a note; false when none is open.
    public func closeFollowUp(of id: UUID, note: String, as member: StaffMember) async throws -> Bool {
        _ = try await requireVisible(id, member)
        try require(.ops, member, "closing follow-ups")
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 2000 else {
            throw EngineError.invalidInput(field: "note", reason: "say what was done (1 to 2000 characters)")
        }
        let closed = try await engine.transaction { [engine] connection in
            try await engine.store.feedback.closeFollowUp(id, note: note, by: member.email, on: connection)
        }
        if closed { try await audit(member, "close_follow_up", "return:\(id.uuidString.lowercased())", ["note": note]) }
        return closed
    }

    /// A partner's staff record the receipt of their return: every unit of every line arrived.
    public func receive(_ id: UUID, key: String, notes: String?, as member: StaffMember) async throws -> TransitionResult {
        let report = try partnerReport(id, key: key, member)
        let details = try await requireVisible(id, member)
        var data: [String: JSONValue] = [
            "items": .array(
                details.items.map {
                    .object(["line": .number(Double($0.line)), "quantity": .number(Double($0.quantity))])
                })
        ]
        if let notes, !notes.isEmpty { data["notes"] = .string(notes) }
        let result = try await engine.partnerReports.receipt(data: data, by: report)
        if !result.replayed { try await audit(member, "receive", "return:\(id.uuidString.lowercased())", [:]) }
        return result
    }

    /// A partner's staff record the inspection of every line with one grade and disposition.
    public func inspect(
        _ id: UUID, grade: Grade, disposition: Disposition?, notes: String?, key: String, as member: StaffMember
    ) async throws -> [TransitionResult] {
        let report = try partnerReport(id, key: key, member)
        let details = try await requireVisible(id, member)
        let items: [JSONValue] = details.items.map { item in
            var entry: [String: JSONValue] = ["line": .number(Double(item.line)), "grade": .string(grade.rawValue)]
            if let disposition { entry["disposition"] = .string(disposition.rawValue) }
            if let notes, !notes.isEmpty { entry["notes"] = .string(notes) }
            return .object(entry)
        }
        let results = try await engine.partnerReports.inspection(data: ["items": .array(items)], by: report)
        if results.contains(where: { !$0.replayed }) {
            try await audit(member, "inspect", "return:\(id.uuidString.lowercased())", ["grade": grade.rawValue])
        }
        return results
    }

    // MARK: - Queues and figures

    public func followUps(as member: StaffMember) async throws -> [(returnID: UUID, orderRef: String, record: FeedbackRecord)] {
        try await engine.read { [engine] connection in
            try await engine.store.feedback.openFollowUps(
                partnerID: member.role == .partner ? member.partnerID : nil, limit: 100, on: connection)
        }
    }

    public func figures(days: Int, as member: StaffMember) async throws -> ConsoleFigures {
        try await engine.read { [engine] connection in
            try await engine.store.staff.figures(
                days: days, partnerID: member.role == .partner ? member.partnerID : nil,
                finished: engine.catalog.finishedStates, on: connection)
        }
    }

    /// Exchange lines of open returns whose stock hold lapsed before the replacement shipped: ops' queue (the shop's
    /// stock is not a partner's to see, and a partner ships no replacements).
    public func waitingForStock(as member: StaffMember, limit: Int = 100) async throws -> [WaitingExchange] {
        guard member.role == .ops else { return [] }
        return try await engine.read { [engine] connection in
            try await engine.store.staff.waitingForStock(terminal: engine.catalog.terminalStates, limit: limit, on: connection)
        }
    }

    func partnerReport(_ id: UUID, key: String, _ member: StaffMember) throws -> PartnerReport {
        try require(.partner, member, "recording receipts and inspections")
        guard let partnerID = member.partnerID, let name = member.partnerName else {
            throw StaffRefusal.forbidden("this account is bound to no partner")
        }
        return PartnerReport(
            returnID: id, partnerID: partnerID, partnerName: name, idempotencyKey: "console:\(key)", expectedVersion: nil,
            actor: member.actor)
    }

    func require(_ role: StaffRole, _ member: StaffMember, _ what: String) throws {
        guard member.role == role else {
            throw StaffRefusal.forbidden("\(what) is for \(role.rawValue) staff; you are signed in as \(member.role.rawValue)")
        }
    }

    func audit(_ member: StaffMember, _ action: String, _ target: String, _ detail: [String: String]) async throws {
        let json = String(decoding: try JSONEncoder().encode(detail), as: UTF8.self)
        try await engine.transaction { [engine] connection in
            try await engine.store.staff.audit(staffID: member.id, action: action, target: target, detail: json, on: connection)
        }
    }
}
