import Foundation
import ReturnsCore
import ReturnsStore

/// What a customer does with the status token of a return: read its status, cancel it before it ships.
public struct CustomerReturns: Sendable {
    let engine: Engine

    /// The status behind a customer's token, or nil for a token that opens nothing.
    ///
    /// With a read replica configured and current (`ReadReplica`: at most its maximum lag behind), the lookup reads
    /// the replica; a token the replica does not know yet (a return made a moment ago), or a replica that fails, is
    /// looked up on the primary. So a return is always found, and what is shown is at most the maximum lag old; a
    /// customer's own change (cancel) is read back from the primary. `fromPrimary` skips the replica. The texts are
    /// in the return's locale unless the page asks for another (`locale`). A `detailed` status (the status page's)
    /// also has each settlement itemised.
    public func status(token: String, fromPrimary: Bool = false, locale wanted: String? = nil, detailed: Bool = false)
        async throws -> CustomerStatus?
    {
        guard token.count <= 128 else { return nil }
        let lookup: @Sendable (DatabaseConnection) async throws -> (StatusSnapshot, WorkflowDefinition)? = {
            [engine] connection in
            guard let snapshot = try await engine.store.returns.statusSnapshot(token: token, on: connection) else {
                return nil
            }
            return (snapshot, try await engine.definition(of: snapshot.record, on: connection))
        }
        var read: (StatusSnapshot, WorkflowDefinition)?
        if !fromPrimary, let onReplica = try await engine.database.onReplica(lookup) { read = onReplica }
        if read == nil { read = try await engine.read(lookup) }
        guard let (found, definition) = read else { return nil }
        let record = found.record
        let (locale, texts) = engine.catalog.statusTexts.texts(for: wanted ?? record.locale)
        func describe(_ state: String) -> String {
            texts.states[state] ?? definition.state(named: state)?.description ?? state
        }
        let timeline = found.changes.map {
            CustomerStatus.TimelineEntry(state: $0.state, description: describe($0.state), at: $0.at)
        }
        var refund: CustomerStatus.RefundSummary?
        if found.refunds > 0, let currency = try? Currency(code: record.currency) {
            refund = .init(
                amount: Money(minorUnits: found.refundedMinor, currency: currency).decimalString,
                currency: record.currency, status: found.refundsAllSent ? "sent" : "pending")
        }
        let canCancel = (try? definition.decide(event: EngineEvent.cancel.rawValue, in: record.state)) != nil
        var status = CustomerStatus(
            orderRef: record.orderRef, state: record.state, description: describe(record.state), locale: locale,
            nextStep: texts.next[record.state], expectedBy: found.nextDue, timeline: timeline,
            refund: refund, canCancel: canCancel, labels: texts.labels)
        status.lines = found.lines.map {
            .init(sku: $0.sku, quantity: $0.quantity, resolution: $0.resolution, exchangeSKU: $0.exchangeSKU)
        }
        if found.creditedMinor > 0, let currency = try? Currency(code: record.currency) {
            status.credit = .init(
                amount: Money(minorUnits: found.creditedMinor, currency: currency).decimalString, currency: record.currency)
        }
        status.asksFeedback = Self.asksFeedback(in: record.state, of: definition)
        if detailed {
            status.returnID = record.id.uuidString.lowercased()
            status.workflow = record.workflowName
            status.isShipped = definition.transitions.contains { $0.event == EngineEvent.ship.rawValue }
            let asks = status.asksFeedback
            let (settlements, feedback) = try await engine.read { [engine] connection in
                (
                    try await engine.store.resolutions.settlements(of: record.id, on: connection).map(\.settlement),
                    asks ? try await engine.store.feedback.find(record.id, on: connection) : nil
                )
            }
            status.settlements = settlements
            status.feedback = feedback.map(CustomerStatus.FeedbackSummary.init)
        }
        return status
    }

    /// States where a return has nothing more to do for the customer but that are not its end (the money is sent;
    /// closing follows). Terminal states ask too, except those without a resolution.
    static let settledStates: Set<String> = ["refunded"]
    static let unresolvedEnds: Set<String> = ["cancelled", "label_expired"]

    static func asksFeedback(in state: String, of definition: WorkflowDefinition) -> Bool {
        if settledStates.contains(state) { return true }
        return definition.state(named: state)?.isTerminal == true && !unresolvedEnds.contains(state)
    }

    /// Records the customer's answer to "Did we resolve your problem?" for the return behind `token`, or changes
    /// it within 14 days of the first answer. Nil for a token that opens nothing; `notAvailable` while the return
    /// has not ended, `FeedbackClosed` past the 14 days.
    public func answer(token: String, resolved: Bool, reason: String?, comment: String) async throws -> CustomerStatus? {
        guard let current = try await status(token: token, fromPrimary: true) else { return nil }
        guard current.asksFeedback else {
            throw EngineError.notAvailable("the question is asked once the return has ended")
        }
        if let reason, !engine.catalog.feedbackReasons.contains(reason) {
            throw EngineError.invalidInput(
                field: "reason", reason: "'\(reason)' is not one of \(engine.catalog.feedbackReasons.joined(separator: ", "))")
        }
        guard comment.count <= 500 else {
            throw EngineError.invalidInput(field: "comment", reason: "at most 500 characters")
        }
        try await engine.transaction { [engine] connection in
            guard let record = try await engine.store.returns.findReturn(token: token, on: connection) else { return }
            _ = try await engine.store.feedback.answer(
                record.id, resolved: resolved, reason: resolved ? nil : reason, comment: comment, locale: current.locale,
                on: connection)
        }
        return try await status(token: token, fromPrimary: true, locale: current.locale, detailed: true)
    }

    /// Cancels the return behind a customer's token while it has not shipped. Cancelling a cancelled return again
    /// answers as the first time did. Nil for a token that opens nothing.
    public func cancel(token: String, idempotencyKey: String?) async throws -> CustomerStatus? {
        let id = try await engine.read { [engine] connection in
            try await engine.store.returns.findReturn(token: token, on: connection)?.id
        }
        guard let id else { return nil }
        do {
            _ = try await engine.transitions.apply(
                EngineEvent.cancel.rawValue, to: id, idempotencyKey: idempotencyKey, actor: "customer")
        } catch EngineError.workflow(.eventNotAllowed(_, let state, _)) where state == "cancelled" {
            // Already cancelled: the customer's intent holds.
        }
        return try await status(token: token, fromPrimary: true)
    }
}
