import Foundation
import ReturnsCore
import ReturnsStore

/// Firing due timers through the same transition path as any event.
public struct Timers: Sendable {
    let engine: Engine

    /// Fires every timer due as of `asOf` (the database clock when nil). A timer whose return has left the state it
    /// was armed in is discarded, not fired.
    public func fireDue(asOf: Date? = nil, batchSize: Int = 200) async throws -> TimerReport {
        var report = TimerReport()
        while true {
            let due = try await engine.read { [engine] connection in
                try await engine.store.timers.dueTimers(asOf: asOf, limit: batchSize, on: connection)
            }
            var progressed = false
            for timer in due {
                switch try await fire(timer, asOf: asOf) {
                case .fired:
                    report.fired += 1
                    progressed = true
                case .discarded:
                    report.discarded += 1
                    progressed = true
                case .settledElsewhere:
                    progressed = true
                case .busy:
                    report.busy += 1
                }
            }
            // Stop when nothing moved: what is left is busy elsewhere and comes back on the next pass.
            if due.count < batchSize || !progressed { break }
        }
        return report
    }

    enum Outcome {
        case fired, discarded, settledElsewhere, busy
    }

    /// One timer in one transaction: lock the return (skip it if busy), re-check the timer, then fire or discard.
    /// With `asOf`, timers the transition arms count from that moment, so a simulated run of time stays consistent.
    func fire(_ timer: TimerRecord, asOf: Date?) async throws -> Outcome {
        try await engine.transaction { [engine] connection in
            guard let record = try await engine.store.returns.lockReturn(timer.returnID, on: connection, skipLocked: true) else {
                return .busy
            }
            if timer.name == DecisionWriter.instantDeadline {
                guard try await engine.store.timers.settleTimer(timer.id, status: "fired", on: connection) else {
                    return .settledElsewhere
                }
                try await DecisionWriter(engine: engine).chargeUnshipped(record, actor: "timer:\(timer.name)", on: connection)
                return .fired
            }
            let definition = try await engine.definition(of: record, on: connection)
            guard record.state == timer.state,
                let decision = try? definition.decide(event: timer.event, in: record.state)
            else {
                return try await engine.store.timers.settleTimer(timer.id, status: "discarded", on: connection)
                    ? .discarded : .settledElsewhere
            }
            // Settle before applying: the transition may re-arm a timer of the same name.
            guard try await engine.store.timers.settleTimer(timer.id, status: "fired", on: connection) else {
                return .settledElsewhere
            }
            _ = try await DecisionWriter(engine: engine).commit(
                decision, to: record, actor: "timer:\(timer.name)", data: [:], clock: asOf, on: connection)
            return .fired
        }
    }
}
