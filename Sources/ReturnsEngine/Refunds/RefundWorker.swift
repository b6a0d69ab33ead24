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
        try await runPasses(engine: engine, named: "refunds", every: interval) { [engine, provider, retry] in
            try await engine.refunds.sendDue(through: provider, retry: retry)
        }
    }
}
