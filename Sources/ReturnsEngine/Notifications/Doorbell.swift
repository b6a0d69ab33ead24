import Synchronization

/// Wakes a waiting dispatcher: rung on every `NOTIFY`, waited on with a timeout (the polling fallback).
/// A ring while nobody waits is kept, so the next wait returns at once instead of missing it.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after a ring (or one that came since the last wait), after `timeout`, or on cancellation.
    func wait(timeout: Duration) async {
        if state.withLock({ state in
            defer { state.rung = false }; return state.rung
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            // Rings when the time is up, or at once when the task is cancelled, so the wait below always ends.
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.ring()
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            group.cancelAll()
        }
        // The timer's own ring may land after a real one; the caller drains anyway, so forget it.
        state.withLock { $0.rung = false }
    }
}
