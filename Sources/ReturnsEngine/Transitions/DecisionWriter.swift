import Foundation
import ReturnsCore
import ReturnsStore

/// Writes a decision of the state machine on the locked return, inside the caller's transaction: the new state,
/// the history line, and each action (notifications, timers, receipts, inspections, the refund). The one place a
/// `Decision` becomes rows.
struct DecisionWriter {
    let engine: Engine

    /// Timers are armed from `clock`, the moment the event stands for (the database clock when nil).
    ///
    /// A refund that comes to nothing is a decision of its own: when `issue_refund` sends no money (nothing is due,
    /// or everything was settled as store credit, exchanges or money released earlier), the actions after it in the
    /// transition (its timeout, its "refund on its way" mail) are not run, and the return takes `settled` or
    /// `nothing_to_refund` from the state it reached, in the same transaction; the answer is that last step's.
    /// A definition pinned before those events existed keeps its old way (it waits for a refund that never comes).
    ///
    /// The carrier's first scan (`ship`) and a receipt are moments resolutions wait for (`reach`): exchanges ship
    /// and early refunds are released then, as the policy says. A return that ends gives back its order units and
    /// the stock it still holds.
    func commit(
        _ decision: Decision, to record: ReturnRecord, actor: String, data: [String: JSONValue], clock: Date? = nil,
        on connection: DatabaseConnection
    ) async throws -> TransitionResult {
        let id = record.id
        let seq = record.version + 1
        TransitionCounts.pending?.keys.withLock {
            $0.append(.init(workflow: record.workflowName, event: decision.event))
        }
        try await engine.store.returns.updateState(id, state: decision.to, version: seq, on: connection)
        try await engine.store.returns.appendEvent(
            id, seq: seq, event: decision.event, from: decision.from, to: decision.to, actor: actor,
            dataJSON: JSONValue.canonicalText(data), on: connection)
        for action in decision.actions {
            switch action {
            case .notify(let template):
                let payload = OutboxPayload(
                    orderRef: record.orderRef, event: decision.event, state: decision.to,
                    statusToken: record.statusToken, data: data,
                    refundMinor: try await engine.store.refunds.refundedMinor(of: id, on: connection), currency: record.currency)
                try await engine.store.outbox.enqueueNotification(
                    id, seq: seq, template: template, locale: record.locale, payloadJSON: payload.jsonText,
                    on: connection)
            case .startTimer(let name, let seconds, let event):
                try await engine.store.timers.armTimer(
                    id, name: name, event: event, state: decision.to, seq: seq, seconds: seconds, base: clock,
                    on: connection)
            case .cancelTimer(let name):
                try await engine.store.timers.cancelTimer(id, name: name, on: connection)
            case .issueRefund:
                let issued = try await settle(record, seq: seq, on: connection)
                if issued != .issued, let nothing = try await closing(after: decision, of: record, issued, on: connection) {
                    var moved = record
                    moved.state = decision.to
                    moved.version = seq
                    return try await commit(
                        nothing, to: moved, actor: actor, data: [:], clock: clock, on: connection)
                }
            case .recordReceipt:
                try await recordReceipt(for: record, data: data, on: connection)
                try await reach(.receipt, record: record, seq: seq, on: connection)
            case .recordInspection:
                try await recordInspection(for: record, seq: seq, data: data, on: connection)
            }
        }
        if decision.event == EngineEvent.ship.rawValue {
            try await reach(.firstScan, record: record, seq: seq, on: connection)
        } else if decision.event == EngineEvent.scan.rawValue, data["kind"] == .string("delivered") {
            try await reach(.delivered, record: record, seq: seq, on: connection)
        }
        if try await engine.definition(of: record, on: connection).state(named: decision.to)?.isTerminal == true {
            try await engine.store.returns.releaseOrderUnits(of: id, on: connection)
            try await engine.store.catalog.releaseHolds(of: id, on: connection)
            // An instant exchange whose return ends without shipping (cancelled, label expired) is paid for.
            var ended = record
            ended.state = decision.to
            ended.version = seq
            try await chargeUnshipped(ended, actor: actor, on: connection)
        }
        return TransitionResult(
            returnID: id, event: decision.event, from: decision.from, to: decision.to, seq: seq, replayed: false)
    }

    func recordReceipt(for record: ReturnRecord, data: [String: JSONValue], on connection: DatabaseConnection)
        async throws
    {
        let items = try await engine.store.items.itemStates(of: record.id, on: connection)
        let receipts: [ItemReports.Receipt]?
        do { receipts = try ItemReports.receipts(in: data) } catch {
            throw EngineError.invalidInput(field: error.field, reason: error.reason)
        }
        guard let receipts else {
            // No list: everything arrived.
            for item in items where item.received < item.quantity {
                try await engine.store.items.setReceived(record.id, line: item.line, quantity: item.quantity, on: connection)
            }
            return
        }
        var received = Dictionary(uniqueKeysWithValues: items.map { ($0.line, $0.received) })
        for receipt in receipts {
            guard let item = items.first(where: { $0.line == receipt.line }) else {
                throw EngineError.invalidInput(
                    field: "items", reason: "the return has no line \(receipt.line); its lines are 1 to \(items.count)")
            }
            let total = (received[item.line] ?? 0) + receipt.quantity
            guard total <= item.quantity else {
                throw EngineError.invalidInput(
                    field: "items (line \(item.line))",
                    reason: "\(total) received in all would be more than the \(item.quantity) returned")
            }
            received[item.line] = total
            try await engine.store.items.setReceived(record.id, line: item.line, quantity: total, on: connection)
        }
    }

    /// Records grades and dispositions; an item going back to stock (restock, open_box) queues an inventory event.
    func recordInspection(
        for record: ReturnRecord, seq: Int, data: [String: JSONValue], on connection: DatabaseConnection
    ) async throws {
        let items = try await engine.store.items.itemStates(of: record.id, on: connection)
        let inspections = try Self.checkedInspections(in: data, items: items, policy: engine.catalog.policy)
        for inspection in inspections {
            // A whole-return grade judges what is left to judge: received units not graded yet.
            let targets =
                inspection.line.map { line in items.filter { $0.line == line } }
                ?? items.filter { $0.received > $0.graded }
            let disposition = inspection.disposition ?? engine.catalog.policy.disposition(for: inspection.grade)
            for item in targets {
                try await engine.store.items.setInspection(
                    record.id, line: item.line, grade: inspection.grade.rawValue, disposition: disposition.rawValue,
                    writtenOff: !inspection.grade.isRefundable, on: connection)
                if disposition.isRestock {
                    try await engine.store.items.enqueueRestock(
                        record.id, seq: seq, line: item.line, grade: inspection.grade.rawValue,
                        disposition: disposition.rawValue, on: connection)
                }
            }
        }
    }

    /// The inspections `data` reports, checked whole against the return's lines (see `ItemReports.check`).
    static func checkedInspections(in data: [String: JSONValue], items: [ItemState], policy: ReturnPolicy) throws
        -> [ItemReports.Inspection]
    {
        do {
            let inspections = try ItemReports.inspections(in: data)
            try ItemReports.check(
                inspections, against: items.map { .init(line: $0.line, received: $0.received, graded: $0.graded) },
                defaultDisposition: policy.disposition(for:))
            return inspections
        } catch {
            throw EngineError.invalidInput(field: error.field, reason: error.reason)
        }
    }

    /// What `issue_refund` did.
    enum IssuedRefund: Equatable {
        /// A refund row was written (or was there already, for this step's key).
        case issued
        /// Settled without money to send: store credit, exchanges, or money released before inspection.
        case settled
        /// Nothing is due: every line graded to nothing, already refunded, or never received.
        case nothingDue
    }

    /// The step the engine takes from where `decision` led when `issue_refund` sent no money: `settled` when
    /// something was settled (and the workflow has that step), else `nothing_to_refund`, when the workflow takes it.
    func closing(after decision: Decision, of record: ReturnRecord, _ issued: IssuedRefund, on connection: DatabaseConnection)
        async throws -> Decision?
    {
        let definition = try await engine.definition(of: record, on: connection)
        if issued == .settled, let settled = try? definition.decide(event: EngineEvent.settled.rawValue, in: decision.to) {
            return settled
        }
        return try? definition.decide(event: EngineEvent.nothingToRefund.rawValue, in: decision.to)
    }
}
