import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsStore

/// What one pass of the refund worker did.
public struct RefundReport: Sendable, Hashable, Codable {
    public var paid = 0
    public var retrying = 0
    public var failed = 0

    public init() {}
}

/// How refunds are retried.
public struct RefundRetryPolicy: Sendable {
    public var maxAttempts: Int
    /// The first retry's delay; each next one doubles, with up to 20% jitter.
    public var baseDelay: Double
    /// How long a claimed refund is left to its worker before another may take it.
    public var leaseSeconds: Int

    public init(maxAttempts: Int = 5, baseDelay: Double = 30, leaseSeconds: Int = 120) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.leaseSeconds = leaseSeconds
    }

    func delay(afterAttempt attempt: Int) -> Double {
        let exponential = baseDelay * pow(2, Double(max(attempt - 1, 0)))
        return exponential * Double.random(in: 0.8...1.2)
    }
}

extension Engine {
    var refunds: RefundRepository { RefundRepository(logger: logger) }

    /// Sends every due pending refund through `provider` once and records the outcome: paid refunds move their
    /// return on with `refund_succeeded`; a refund that fails for good moves it to `refund_failed`.
    public func sendDueRefunds(
        through provider: any RefundProvider, retry: RefundRetryPolicy = RefundRetryPolicy(), batchSize: Int = 50
    ) async throws -> RefundReport {
        var report = RefundReport()
        while true {
            let claimed = try await database.withConnection { [self] connection in
                try await refunds.claimDue(limit: batchSize, leaseSeconds: retry.leaseSeconds, on: connection)
            }
            for refund in claimed {
                let outcome: Result<String, RefundProviderError>
                do { outcome = .success(try await provider.send(refund)) } catch { outcome = .failure(error) }
                switch outcome {
                case .success(let reference):
                    try await confirmRefund(refund.id, provider: provider.name, reference: reference)
                    report.paid += 1
                case .failure(.transient(let reason)) where refund.attempts < retry.maxAttempts:
                    let delay = retry.delay(afterAttempt: refund.attempts)
                    try await database.withConnection { [self] connection in
                        try await refunds.scheduleRetry(refund.id, error: reason, delaySeconds: delay, on: connection)
                    }
                    report.retrying += 1
                case .failure(let error):
                    try await failRefund(refund.id, reason: "\(error.description) (attempt \(refund.attempts))")
                    report.failed += 1
                }
            }
            if claimed.count < batchSize { return report }
        }
    }

    /// The provider paid the refund: mark it and move the return on, once, however often this is called.
    public func confirmRefund(_ refundID: UUID, provider: String, reference: String) async throws {
        try await settleRefund(refundID, event: "refund_succeeded", actor: "refunds:\(provider)") { [self] connection in
            try await refunds.markSucceeded(refundID, provider: provider, reference: reference, on: connection)
        }
    }

    /// The refund cannot be paid: mark it failed and move the return to `refund_failed` for finance.
    public func failRefund(_ refundID: UUID, reason: String) async throws {
        try await settleRefund(refundID, event: "refund_declined", actor: "refunds") { [self] connection in
            try await refunds.markFailed(refundID, error: reason, on: connection)
        }
    }

    /// Finance sends a failed refund again: the refund is pending once more and the return goes back to waiting.
    /// Sends a failed refund again. Returns false (and changes nothing) when the refund had not failed.
    @discardableResult
    public func retryRefund(_ refundID: UUID, actor: String = "finance") async throws -> Bool {
        try await settleRefund(refundID, event: "retry_refund", actor: actor) { [self] connection in
            try await refunds.reopen(refundID, on: connection)
        }
    }

    /// Changes a refund's status and applies `event` to its return in one transaction, the return locked first.
    /// When the status change does not apply (already done), nothing is written and the answer is false. When the
    /// return has moved on (its state does not take `event`), the refund's status is still recorded.
    @discardableResult
    func settleRefund(
        _ refundID: UUID, event: String, actor: String,
        change: @escaping @Sendable (PostgresConnection) async throws -> Bool
    ) async throws -> Bool {
        try await transaction { [self] connection in
            guard let refund = try await refunds.find(refundID, on: connection) else {
                throw EngineError.refundNotFound(refundID)
            }
            guard let record = try await returns.lockReturn(refund.returnID, on: connection) else {
                throw EngineError.returnNotFound(refund.returnID)
            }
            guard try await change(connection) else { return false }
            let definition = try await definition(
                name: record.workflowName, version: record.workflowVersion, on: connection)
            let data: [String: JSONValue] = ["refund_id": .string(refundID.uuidString.lowercased())]
            var current = record
            // A refund paid after its return gave up waiting (refund_failed by timeout) takes the return back
            // through retry_refund, so the return says what happened to the money.
            if event == "refund_succeeded", (try? definition.decide(event: event, in: current.state)) == nil,
                let reopen = try? definition.decide(event: "retry_refund", in: current.state),
                (try? definition.decide(event: event, in: reopen.to)) != nil
            {
                let result = try await commit(reopen, to: current, actor: actor, data: data, on: connection)
                current.state = result.to
                current.version = result.seq
            }
            if let decision = try? definition.decide(event: event, in: current.state) {
                _ = try await commit(decision, to: current, actor: actor, data: data, on: connection)
            } else {
                logger.warning(
                    "refund settled while its return had moved on",
                    metadata: ["refund": "\(refundID)", "state": "\(record.state)", "event": "\(event)"])
            }
            return true
        }
    }

    public func listRefunds(status: String?, limit: Int) async throws -> [RefundRow] {
        try await database.withConnection { [self] connection in
            try await refunds.list(status: status, limit: limit, on: connection)
        }
    }

    /// Writes the ledger's payouts as the payment processor's settlement CSV:
    /// `refund_id,processor_reference,amount,currency,status,settled_at`. Returns the number of rows.
    public func exportSettlement(to handle: FileHandle) async throws -> Int {
        var count = 0
        let formatter = ISO8601DateFormatter()
        handle.write(Data("refund_id,processor_reference,amount,currency,status,settled_at\n".utf8))
        try await refunds.settlementRows(on: database.client) { id, reference, amount, currency, status, at in
            let decimal = Money.decimalString(minorUnits: amount, currencyCode: currency)
            let line = "\(id.uuidString.lowercased()),\(reference),\(decimal),\(currency),\(status),\(formatter.string(from: at))\n"
            handle.write(Data(line.utf8))
            count += 1
        }
        return count
    }
}

extension Engine {
    /// A page of refunds for finance, oldest first. `cursor` is the previous page's `nextCursor`.
    public func refundPage(status: String?, from: Date?, to: Date?, limit: Int, cursor: String?) async throws
        -> (refunds: [RefundRow], nextCursor: String?)
    {
        let after = try cursor.map { try PageCursor(text: $0) }
        let page = try await database.withConnection { [self] connection in
            try await refunds.page(
                status: status, from: from, to: to, after: after.map { ($0.micros, $0.id) }, limit: limit + 1,
                on: connection)
        }
        let shown = page.prefix(limit)
        let next = page.count > limit ? shown.last.map { PageCursor(at: $0.createdAt, id: $0.id).text } : nil
        return (Array(shown), next)
    }
}
