import Foundation
import ReturnsCore
import ReturnsEngine
@testable import ReturnsStore
import Synchronization
@testable import ReturnsTestSupport
import Testing

@Suite("Concurrent and repeated commands")
struct ConcurrencyTests {
    @Test("50 concurrent attempts at one event: exactly one applies, the rest are refused, history has no gap")
    func fiftyAtOnce() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let outcomes = await withTaskGroup(of: Result<TransitionResult, any Error>.self) { group in
                for attempt in 0..<50 {
                    group.addTask {
                        do {
                            return .success(try await engine.transitions.apply("issue_label", to: id, actor: "racer-\(attempt)"))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var all: [Result<TransitionResult, any Error>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let successes = outcomes.compactMap { try? $0.get() }
            #expect(successes.count == 1)
            #expect(successes.first?.to == "label_issued")
            let refusals = outcomes.compactMap { outcome -> EngineError? in
                if case .failure(let error) = outcome { return error as? EngineError }
                return nil
            }
            #expect(refusals.count == 49)
            #expect(
                refusals.allSatisfy {
                    $0 == .workflow(.eventNotAllowed(event: "issue_label", state: "label_issued", allowed: ["cancel", "expire_label", "ship"]))
                })
            let details = try await engine.lookup.details(of: id)
            #expect(details.history.map(\.seq) == [1, 2])
            #expect(details.record.version == 2)
            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox WHERE return_id = \(id)") == 1)
            #expect(try await engine.count("SELECT count(*)::bigint FROM timers WHERE return_id = \(id)") == 1)
        }
    }

    @Test("concurrent different events on one return serialize: the history is a chain without gaps")
    func mixedEvents() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:]), ("ship", tracking)])
            // 30 scans race with one receive; scans only apply while in transit.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        _ = try? await engine.transitions.apply(index == 15 ? "receive" : "scan", to: id, actor: "racer")
                    }
                }
                try await group.waitForAll()
            }
            let history = try await engine.lookup.details(of: id).history
            #expect(history.map(\.seq) == Array(1...history.count))
            for (previous, next) in zip(history, history.dropFirst()) { #expect(next.from == previous.to) }
            #expect(history.filter { $0.event == "receive" }.count == 1)
            #expect(history.last?.to == "received" || history.last?.event == "scan")
        }
    }

    @Test("the same idempotency key sent twice, and 20 times at once: one event, the same answer each time")
    func idempotentEvents() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let first = try await engine.transitions.apply("issue_label", to: id, idempotencyKey: "k-1", actor: "partner")
            let again = try await engine.transitions.apply("issue_label", to: id, idempotencyKey: "k-1", actor: "partner")
            #expect(!first.replayed)
            #expect(again.replayed)
            #expect(again.seq == first.seq && again.to == first.to)

            let answers = try await withThrowingTaskGroup(of: TransitionResult.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await engine.transitions.apply("ship", to: id, idempotencyKey: "k-2", actor: "carrier", data: tracking)
                    }
                }
                var all: [TransitionResult] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.count == 20)
            #expect(answers.filter { !$0.replayed }.count == 1)
            #expect(Set(answers.map(\.seq)) == [3])
            let details = try await engine.lookup.details(of: id)
            #expect(details.history.map(\.event) == ["created", "issue_label", "ship"])
        }
    }

    @Test("a key and an actor with quotes, backslashes, control characters and emoji are kept as sent and replay")
    func keyWithAnyText() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let key = "k \"1\" \\ \u{1}\u{1F}\t\n é 📦"
            let actor = "partner \"acme\" \\ \u{7}"
            let first = try await engine.transitions.apply("issue_label", to: id, idempotencyKey: key, actor: actor)
            let again = try await engine.transitions.apply("issue_label", to: id, idempotencyKey: key, actor: actor)
            #expect(!first.replayed && again.replayed && again.seq == first.seq)
            let stored = try await engine.rows(
                "SELECT key FROM idempotency_keys WHERE scope = \(id.uuidString.lowercased())", as: (String.self))
            #expect(stored == [key])
            let actors = try await engine.rows(
                "SELECT actor FROM return_events WHERE return_id = \(id) AND seq = 2", as: (String.self))
            #expect(actors == [actor])
        }
    }

    @Test("the same key with a different body is refused and writes nothing")
    func keyReuse() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:])])
            _ = try await engine.transitions.apply("ship", to: id, idempotencyKey: "k", actor: "carrier", data: tracking)
            await #expect(throws: EngineError.idempotencyKeyReused(key: "k")) {
                try await engine.transitions.apply(
                    "ship", to: id, idempotencyKey: "k", actor: "carrier", data: ["tracking_number": .string("OTHER")])
            }
            #expect(try await engine.lookup.details(of: id).record.version == 3)
        }
    }

    @Test("creating with one idempotency key twice, concurrently, makes one return")
    func idempotentCreate() async throws {
        try await TestDatabase.withEngine { engine in
            let request = NewReturn(
                workflow: "standard", orderRef: "ORD-9", customerEmail: "bo@example.com",
                items: [try ReturnItem.parse("TEE:1:19.99:USD")])
            let created = try await withThrowingTaskGroup(of: CreatedReturn.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await engine.transitions.create(request, idempotencyKey: "order-9-return") }
                }
                var all: [CreatedReturn] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(Set(created.map(\.id)).count == 1)
            #expect(Set(created.map(\.token)).count == 1)
            #expect(created.filter { !$0.replayed }.count == 1)
            #expect(try await engine.count("SELECT count(*)::bigint FROM returns") == 1)
            var other = request
            other.orderRef = "ORD-10"
            await #expect(throws: EngineError.idempotencyKeyReused(key: "order-9-return")) {
                try await engine.transitions.create(other, idempotencyKey: "order-9-return")
            }
        }
    }

    @Test("two timer passes at once fire each due timer exactly once")
    func timersFireOnce() async throws {
        try await TestDatabase.withEngine { engine in
            var ids: [UUID] = []
            for _ in 0..<40 {
                let id = try await engine.makeReturn()
                try await engine.drive(id, [("issue_label", [:])])
                ids.append(id)
            }
            let asOf = Date().addingTimeInterval(31 * 86_400)
            async let first = engine.timers.fireDue(asOf: asOf, batchSize: 7)
            async let second = engine.timers.fireDue(asOf: asOf, batchSize: 7)
            let reports = try await [first, second]
            // Anything one pass skipped as busy was fired by the other; a third pass finds nothing left.
            let leftover = try await engine.timers.fireDue(asOf: asOf)
            #expect(reports.map(\.fired).reduce(0, +) + leftover.fired == 40)
            #expect(leftover.fired == 0 || reports.contains { $0.busy > 0 })
            #expect(try await engine.count("SELECT count(*)::bigint FROM return_events WHERE event = 'expire_label'") == 40)
            #expect(try await engine.count("SELECT count(*)::bigint FROM returns WHERE state = 'label_expired'") == 40)
            #expect(try await engine.count("SELECT count(*)::bigint FROM timers WHERE status = 'fired'") == 40)
        }
    }

    @Test("a timer whose return left the state it was armed in is discarded, not fired")
    func staleTimerDiscarded() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:])])
            // Move the return on behind the engine's back, as a workflow without cancel_timer would.
            try await engine.database.client.query(
                "UPDATE returns SET state = 'in_transit' WHERE id = \(id)")
            let report = try await engine.timers.fireDue(asOf: Date().addingTimeInterval(31 * 86_400))
            #expect(report.fired == 0)
            #expect(report.discarded == 1)
            #expect(try await engine.lookup.details(of: id).history.count == 2)
            let status = try await engine.rows("SELECT status FROM timers WHERE return_id = \(id)", as: (String.self))
            #expect(status == ["discarded"])
        }
    }

    @Test("one key from two processes, both waiting for the return's row lock: one applies, the other replays its answer")
    func duplicateFromAnotherProcess() async throws {
        var settings = try await TestDatabase.makeDatabase()
        // The commands wait for the lock while the test sees them waiting; a loaded run took over 2 s for that.
        settings.transactionLimits = TransactionLimits(lockTimeout: .seconds(120), statementTimeout: .seconds(120))
        try await TestDatabase.withEngine(on: settings) { first in
            try await TestDatabase.withEngine(on: settings) { second in
                let id = try await first.makeReturn()
                // A third session holds the row lock, so both commands wait for it as two processes' would; each
                // engine orders its own commands in memory, so only another process's duplicate meets it here.
                let lock = try await first.holdRowLock(of: id)
                let a = Task { try await first.transitions.apply("issue_label", to: id, idempotencyKey: "dup-1", actor: "a") }
                let b = Task { try await second.transitions.apply("issue_label", to: id, idempotencyKey: "dup-1", actor: "b") }
                let waiting = try await first.sessionsWaitingForLocks(atLeast: 2)
                try await lock.end()
                #expect(waiting == 2, "both commands should have waited for the lock")
                let answers = [try await a.value, try await b.value]
                #expect(answers.map(\.replayed).sorted { !$0 && $1 } == [false, true])
                #expect(answers.allSatisfy { $0.to == "label_issued" && $0.seq == 2 })
                let events = try await first.rows(
                    "SELECT event FROM return_events WHERE return_id = \(id) ORDER BY seq", as: (String.self))
                #expect(events == ["created", "issue_label"])
            }
        }
    }
}
