import Foundation
import ReturnsCore
import ReturnsStore

/// Paying the refunds that transitions decided, through a payment provider, and finance's view of them. The refund
/// row and its idempotency key were written by the deciding transition; here they are sent, settled, retried.
public struct Refunds: Sendable {
    let engine: Engine

    var repository: RefundRepository { RefundRepository(logger: engine.logger) }

    /// Sends every pending refund due at the start of this pass through `provider` once and records the outcome: paid refunds move their
    /// return on with `refund_succeeded`; a refund that fails for good moves it to `refund_failed`.
    ///
    /// Each refund is claimed just before it is sent, under a lease of its own: a lease over a whole batch ran out
    /// while the batch's later refunds were still waiting their turn behind a slow provider, and another worker
    /// sent them at the same time. A provider must answer within the lease (see `RefundRetryPolicy`).
    public func sendDue(
        through provider: any RefundProvider, retry: RefundRetryPolicy = RefundRetryPolicy()
    ) async throws -> RefundReport {
        var report = RefundReport()
        // One pass sends what was due when it began, each once: a refund put back for a retry waits for a later pass.
        let passStart = try await engine.read { [repository] connection in try await repository.now(on: connection) }
        while true {
            let claimed = try await engine.read { [repository] connection in
                try await repository.claimDue(
                    limit: 1, leaseSeconds: retry.leaseSeconds, dueBy: passStart, on: connection)
            }
            guard let refund = claimed.first else { return report }
            let outcome: Result<String, RefundProviderError>
            do { outcome = .success(try await provider.send(refund)) } catch { outcome = .failure(error) }
            switch outcome {
            case .success(let reference):
                try await confirm(refund.id, provider: provider.name, reference: reference)
                report.paid += 1
            case .failure(.transient(let reason)) where refund.attempts < retry.maxAttempts:
                let delay = retry.delay(afterAttempt: refund.attempts)
                try await engine.read { [repository] connection in
                    try await repository.scheduleRetry(refund.id, error: reason, delaySeconds: delay, on: connection)
                }
                report.retrying += 1
            case .failure(let error):
                try await fail(refund.id, reason: "\(error.description) (attempt \(refund.attempts))")
                report.failed += 1
            }
        }
    }

    /// The provider paid the refund: mark it and move the return on, once, however often this is called.
    public func confirm(_ refundID: UUID, provider: String, reference: String) async throws {
        try await settle(refundID, event: .refundSucceeded, actor: "refunds:\(provider)") { [repository] connection in
            try await repository.markSucceeded(refundID, provider: provider, reference: reference, on: connection)
        }
    }

    /// The refund cannot be paid: mark it failed and move the return to `refund_failed` for finance.
    public func fail(_ refundID: UUID, reason: String) async throws {
        try await settle(refundID, event: .refundDeclined, actor: "refunds") { [repository] connection in
            try await repository.markFailed(refundID, error: reason, on: connection)
        }
    }

    /// Finance sends a failed refund again: the refund is pending once more and the return goes back to waiting.
    /// Returns false (and changes nothing) when the refund had not failed.
    @discardableResult
    public func retry(_ refundID: UUID, actor: String = "finance") async throws -> Bool {
        try await settle(refundID, event: .retryRefund, actor: actor) { [repository] connection in
            try await repository.reopen(refundID, on: connection)
        }
    }

    /// Changes a refund's status and applies `event` to its return in one transaction, the return locked first.
    /// When the status change does not apply (already done), nothing is written and the answer is false. When the
    /// return has moved on (its state does not take `event`), the refund's status is still recorded. It takes its
    /// turn on the return with the return's other commands (`ReturnTurns`): five confirmations of one refund at
    /// once wait in memory, not each on a pooled connection against the lock limit.
    @discardableResult
    func settle(
        _ refundID: UUID, event: EngineEvent, actor: String,
        change: @escaping @Sendable (DatabaseConnection) async throws -> Bool
    ) async throws -> Bool {
        guard let returnID = try await engine.read({ [repository] connection in
            try await repository.find(refundID, on: connection)?.returnID
        }) else {
            throw EngineError.refundNotFound(refundID)
        }
        return try await engine.turns.withTurn(on: "return:\(returnID)") {
            try await transaction(refundID, event: event, actor: actor, change: change)
        }
    }

    private func transaction(
        _ refundID: UUID, event: EngineEvent, actor: String,
        change: @escaping @Sendable (DatabaseConnection) async throws -> Bool
    ) async throws -> Bool {
        try await engine.transaction { [engine, repository] connection in
            guard let refund = try await repository.find(refundID, on: connection) else {
                throw EngineError.refundNotFound(refundID)
            }
            guard let record = try await engine.store.returns.lockReturn(refund.returnID, on: connection) else {
                throw EngineError.returnNotFound(refund.returnID)
            }
            guard try await change(connection) else { return false }
            let definition = try await engine.definition(of: record, on: connection)
            let writer = DecisionWriter(engine: engine)
            let data: [String: JSONValue] = ["refund_id": .string(refundID.uuidString.lowercased())]
            let takes = { (event: EngineEvent, state: String) in try? definition.decide(event: event.rawValue, in: state) }
            var current = record
            // A refund paid after its return gave up waiting (refund_failed by timeout) takes the return back
            // through retry_refund, so the return says what happened to the money.
            if event == .refundSucceeded, takes(event, current.state) == nil,
                let reopen = takes(.retryRefund, current.state), takes(event, reopen.to) != nil
            {
                let result = try await writer.commit(reopen, to: current, actor: actor, data: data, on: connection)
                current.state = result.to
                current.version = result.seq
            }
            if let decision = takes(event, current.state) {
                _ = try await writer.commit(decision, to: current, actor: actor, data: data, on: connection)
            } else {
                engine.logger.warning(
                    "refund settled while its return had moved on",
                    metadata: ["refund": "\(refundID)", "state": "\(record.state)", "event": "\(event.rawValue)"])
            }
            return true
        }
    }

    /// The newest refunds, optionally with one status.
    public func list(status: String?, limit: Int) async throws -> [RefundRow] {
        try await engine.read { [repository] connection in
            try await repository.list(status: status, limit: limit, on: connection)
        }
    }

    /// A page of refunds for finance, oldest first. `cursor` is the previous page's `nextCursor`.
    public func page(status: String?, from: Date?, to: Date?, limit: Int, cursor: String?) async throws
        -> (refunds: [RefundRow], nextCursor: String?)
    {
        let after = try PageCursor.position(after: cursor)
        let rows = try await engine.read { [repository] connection in
            try await repository.page(status: status, from: from, to: to, after: after, limit: limit + 1, on: connection)
        }
        return PageCursor.page(rows, limit: limit) { ($0.createdAt, $0.id) }
    }

    /// Writes the ledger's payouts and charges as the payment processor's settlement CSV:
    /// `refund_id,processor_reference,amount,currency,status,settled_at`. Returns the number of rows.
    public func exportSettlement(to handle: FileHandle) async throws -> Int {
        var count = 0
        let formatter = ISO8601DateFormatter()
        handle.write(Data("refund_id,processor_reference,amount,currency,status,settled_at\n".utf8))
        try await repository.settlementRows(in: engine.database) { id, reference, amount, currency, status, at in
            let decimal = Money.decimalString(minorUnits: amount, currencyCode: currency)
            // The reference is the provider's text: neutralised. The rest this program formats itself.
            let line = "\(id.uuidString.lowercased()),\(CSVField.text(reference)),\(decimal),\(CSVField.text(currency)),"
                + "\(status),\(formatter.string(from: at))\n"
            handle.write(Data(line.utf8))
            count += 1
        }
        return count
    }
}
