import Foundation
import Logging
import ReturnsCore
import ReturnsStore
import ServiceLifecycle

/// Delivers the outbox: claims due messages, renders them in the customer's locale, hands them to a channel, and
/// records the outcome, retrying failures with backoff until they are delivered or dead.
///
/// A batch is claimed with `FOR UPDATE SKIP LOCKED` in a transaction that stays open while its messages are
/// delivered. The row locks are what keep two dispatchers, in this process or others, from delivering one message
/// at the same time, and they need no clock: a dispatcher that dies loses its connection, PostgreSQL releases the
/// locks, and the messages are pending again for the next dispatcher. Nothing is marked delivered before the
/// channel accepted it, so a crash re-delivers (at least once, never lost); receivers deduplicate by message id.
/// The price is one pooled connection held per dispatcher while a batch is out.
public final class OutboxDispatcher: Service, Sendable {
    let database: Database
    let templates: NotificationTemplates
    let channel: any NotificationChannel
    let settings: NotificationSettings
    let outbox: OutboxRepository
    let doorbell = Doorbell()
    public let metrics: NotificationMetrics
    let logger: Logger

    public init(
        database: Database, templates: NotificationTemplates, channel: any NotificationChannel,
        settings: NotificationSettings = NotificationSettings(), metrics: NotificationMetrics = NotificationMetrics()
    ) {
        self.database = database
        self.templates = templates
        self.channel = channel
        self.settings = settings
        self.metrics = metrics
        self.logger = database.logger
        self.outbox = OutboxRepository(logger: database.logger)
    }

    // MARK: - Draining

    /// Delivers batches until nothing is due; messages waiting for a retry stay for a later pass.
    @discardableResult
    public func drain() async throws -> DrainReport {
        var total = DrainReport()
        while true {
            let report = try await deliverBatch()
            total.add(report)
            if report.claimed == 0 { return total }
        }
    }

    /// Claims one batch (at most one message per return, so a return's messages keep their order), delivers its
    /// messages concurrently, and settles each in the same transaction.
    public func deliverBatch() async throws -> DrainReport {
        let report = try await transaction { [self] connection in
            let batch = try await self.outbox.claim(limit: self.settings.batchSize, on: connection)
            var report = DrainReport()
            report.claimed = batch.count
            guard !batch.isEmpty else { return report }
            let outcomes = await withTaskGroup(of: (OutboxMessage, String?).self) { group in
                for message in batch {
                    group.addTask { (message, await self.attempt(message)) }
                }
                var outcomes: [(OutboxMessage, String?)] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            // Stopped mid-batch: write nothing, so the whole batch is pending again (some may arrive twice).
            try Task.checkCancellation()
            for (message, failure) in outcomes {
                guard let failure else {
                    try await self.outbox.markDelivered(message.id, channel: self.channel.name, on: connection)
                    report.delivered += 1
                    continue
                }
                switch self.settings.retry.decide(
                    afterFailedAttempt: message.attempts + 1, random: Double.random(in: 0..<1))
                {
                case .retry(let delay):
                    let seconds = delay.totalSeconds
                    try await self.outbox.markFailed(
                        message.id, error: failure, retryAfterSeconds: seconds, on: connection)
                    report.failed += 1
                case .dead:
                    try await self.outbox.markFailed(message.id, error: failure, retryAfterSeconds: nil, on: connection)
                    report.dead += 1
                    self.logger.warning(
                        "notification is dead after \(message.attempts + 1) attempts",
                        metadata: ["message_id": "\(message.messageID)", "error": "\(failure)"])
                }
            }
            return report
        }
        metrics.record(report)
        return report
    }

    /// One delivery attempt; the failure's description, or nil when the channel took it.
    func attempt(_ message: OutboxMessage) async -> String? {
        do {
            try await channel.deliver(try prepare(message))
            return nil
        } catch let error as DeliveryError {
            return error.description
        } catch {
            return String(describing: error)
        }
    }

    /// Renders a claimed message in the customer's locale (falling back to `en`) and addresses it.
    public func prepare(_ message: OutboxMessage) throws(DeliveryError) -> OutgoingNotification {
        guard let template = templates.template(named: message.template, locale: message.locale) else {
            throw DeliveryError(
                "no template '\(message.template)' for locale \(message.locale) nor \(NotificationTemplates.fallbackLocale) "
                    + "in Workflows/notifications; add notifications/en/\(message.template).mustache and retry")
        }
        let payload: OutboxPayload
        do {
            payload = try OutboxPayload(jsonText: message.payload)
        } catch {
            throw DeliveryError("the outbox payload is not one the engine writes: \(error)")
        }
        let variables = NotificationVariables.make(
            payload: payload, returnID: message.returnID, locale: message.locale,
            publicBaseURL: settings.publicBaseURL)
        return OutgoingNotification(
            messageID: message.messageID, returnID: message.returnID, seq: message.seq,
            event: payload.event, state: payload.state,
            template: message.template, locale: template.locale, requestedLocale: message.locale,
            to: message.customerEmail, orderRef: payload.orderRef,
            statusURL: variables["status_url"] as? String ?? "", rendered: template.render(variables), data: payload.data,
            attempt: message.attempts + 1)
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) async throws -> T)
        async throws -> T
    {
        try await database.transaction(body)
    }

    // MARK: - Service

    /// Drains whenever a `NOTIFY` arrives or the poll interval passes, until shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                await self.dispatchLoop()
                group.cancelAll()
            }
        }
    }

    func dispatchLoop() async {
        while !Task.isCancelled {
            do {
                let report = try await drain()
                if report.claimed > 0 {
                    logger.info(
                        "notifications dispatched",
                        metadata: [
                            "delivered": "\(report.delivered)", "failed": "\(report.failed)", "dead": "\(report.dead)",
                        ])
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.error("notification pass failed", metadata: ["error": "\(StoreError.describe(error))"])
            }
            await doorbell.wait(timeout: settings.pollInterval)
        }
    }

    /// Keeps a LISTEN connection open and rings the doorbell on every notification. When the connection drops it
    /// reconnects after a pause; meanwhile the dispatch loop polls, so no message waits longer than the interval.
    func listen() async {
        var lastError = ""
        while !Task.isCancelled {
            var subscribed = false
            do {
                try await database.listen(on: OutboxRepository.wakeChannel) { event in
                    switch event {
                    case .subscribed:
                        subscribed = true
                        if !lastError.isEmpty {
                            logger.notice("notification connection is back; dispatching on NOTIFY again")
                        }
                        lastError = ""
                        metrics.setListening(true)
                        logger.debug("listening for outbox notifications")
                        // What was written while nobody listened.
                        doorbell.ring()
                    case .notified:
                        doorbell.ring()
                    }
                }
            } catch {
                let description = StoreError.describe(error)
                if !subscribed, description != lastError {
                    logger.warning(
                        "notification connection is down; polling every \(settings.pollInterval) until it is back",
                        metadata: ["error": "\(description)"])
                }
                lastError = description
            }
            metrics.setListening(false)
            if Task.isCancelled { return }
            try? await Task.sleep(for: settings.reconnectDelay)
        }
    }
}
