import ServiceLifecycle

/// Sends due refunds in a loop until shutdown. Workers in several processes share the work through
/// `FOR UPDATE SKIP LOCKED` claims with a lease.
public struct RefundWorker: Service {
    let engine: Engine
    let provider: any RefundProvider
    let retry: RefundRetryPolicy
    let interval: Duration

    public init(
        engine: Engine, provider: any RefundProvider, retry: RefundRetryPolicy = RefundRetryPolicy(),
        interval: Duration = .seconds(1)
    ) {
        self.engine = engine
        self.provider = provider
        self.retry = retry
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let report = try await engine.refunds.sendDue(through: provider, retry: retry)
                    if report.paid + report.failed + report.retrying > 0 {
                        engine.logger.info(
                            "refunds sent",
                            metadata: ["paid": "\(report.paid)", "retrying": "\(report.retrying)", "failed": "\(report.failed)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    engine.logger.error("refund pass failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
