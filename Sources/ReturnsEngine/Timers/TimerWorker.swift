import Logging
import ServiceLifecycle

/// Fires due timers in a loop until shutdown. Several workers, in one process or many, share the work
/// through row locks.
public struct TimerWorker: Service {
    let engine: Engine
    let interval: Duration

    public init(engine: Engine, interval: Duration = .seconds(1)) {
        self.engine = engine
        self.interval = interval
    }

    public func run() async throws {
        // Shutdown cancels the loop; ending then is the normal way out, not an error.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let report = try await engine.timers.fireDue()
                    if report.fired + report.discarded > 0 {
                        engine.logger.info(
                            "timers settled", metadata: ["fired": "\(report.fired)", "discarded": "\(report.discarded)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    engine.logger.error("timer pass failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
