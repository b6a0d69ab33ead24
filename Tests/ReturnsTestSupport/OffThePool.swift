import Foundation

/// Runs blocking work (a wait for a child process, a read to the end of its output) on a thread of its own.
/// Tests run side by side on the cooperative pool, which has one thread per core: two tests blocked in `waitpid`
/// on a 2-core machine would stall every other test's database and HTTP answers for as long as their children
/// run, and tests that bound a wait (a statement limit, a heartbeat, an adapter's timeout) would fail.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}
