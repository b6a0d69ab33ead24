import ServiceLifecycle

/// Keeps the database trim on a schedule: creates next months' partitions, then deletes delivered outbox messages,
/// settled timers and idempotency keys past their ages, in small batches. Several workers may run at once: the
/// deletes skip each other's locked rows, and creating an existing partition is a no-op.
public struct RetentionWorker: Service {
    let engine: Engine
    let settings: RetentionSettings

    public init(engine: Engine, settings: RetentionSettings = RetentionSettings()) {
        self.engine = engine
        self.settings = settings
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pass()
                do { try await Task.sleep(for: settings.interval) } catch { return }
            }
        }
    }

    /// One pass; a failure is logged and the next pass tries again.
    func pass() async {
        do {
            let created = try await engine.maintenance.ensurePartitions(settings)
            if created > 0 { engine.logger.info("partitions created", metadata: ["count": "\(created)"]) }
        } catch is CancellationError {
            return
        } catch {
            // A lock timeout lands here; partitions are made months ahead, so a later pass has time to succeed.
            engine.logger.warning("creating partitions failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        do {
            let expired = try await engine.maintenance.expireLapsed(batchSize: settings.batchSize)
            if expired.holds + expired.credits > 0 {
                engine.logger.info(
                    "expired", metadata: ["stock_holds": "\(expired.holds)", "credit_lots": "\(expired.credits)"])
            }
        } catch is CancellationError {
            return
        } catch {
            engine.logger.warning("expiring holds and credit failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        do {
            let pruned = try await engine.maintenance.prune(settings)
            if pruned.outbox + pruned.timers + pruned.idempotencyKeys + (pruned.outboxPartitions ?? 0) > 0 {
                engine.logger.info(
                    "pruned",
                    metadata: [
                        "outbox": "\(pruned.outbox)", "timers": "\(pruned.timers)", "keys": "\(pruned.idempotencyKeys)",
                        "outbox_partitions": "\(pruned.outboxPartitions ?? 0)",
                    ])
            }
        } catch is CancellationError {
            return
        } catch {
            engine.logger.error("retention pass failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
