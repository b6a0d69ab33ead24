import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("A return's life through standard.yaml")
struct LifecycleTests {
    @Test("the happy path ends closed with a gapless history, notifications queued and one refund of what was paid")
    func happyPath() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(
                id,
                untilReceived + [
                    ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:]),
                    ("refund_succeeded", [:]), ("close", [:]),
                ])
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "closed")
            #expect(details.record.version == 9)
            #expect(details.history.map(\.seq) == Array(1...9))
            #expect(
                details.history.map(\.event) == [
                    "created", "issue_label", "ship", "receive", "inspect", "grade", "approve_refund",
                    "refund_succeeded", "close",
                ])
            // Each step starts where the previous one ended.
            for (previous, next) in zip(details.history, details.history.dropFirst()) {
                #expect(next.from == previous.to)
            }
            #expect(details.history[2].data.contains("1Z999"))
            let templates = try await engine.rows(
                "SELECT template FROM outbox WHERE return_id = \(id) ORDER BY seq", as: (String.self))
            #expect(templates == ["label_issued", "in_transit", "received", "refunded"])
            let locales = try await engine.rows(
                "SELECT DISTINCT locale FROM outbox WHERE return_id = \(id)", as: (String.self))
            #expect(locales == ["de"])
            #expect(details.refunds.count == 1)
            // Graded A: no restocking fee; "changed_mind" pays the 5.95 EUR label.
            #expect(details.refunds.first?.amountMinor == Int64(8990 + 2 * 995 - 595))
            #expect(details.items.map(\.refunded) == [1, 2])
            #expect(details.items.map(\.disposition) == ["restock", "restock"])
            #expect(details.refunds.first?.idempotencyKey == "refund:\(id.uuidString.lowercased()):7")
            // Every timer armed on the way was cancelled when its state was left.
            #expect(details.pendingTimers.isEmpty)
            let settled = try await engine.rows(
                "SELECT name, status FROM timers WHERE return_id = \(id) ORDER BY id", as: (String, String).self)
            #expect(settled.map(\.0) == ["label_expiry", "transit_timeout", "inspection_sla", "refund_timeout"])
            #expect(settled.allSatisfy { $0.1 == "cancelled" })
        }
    }

    @Test(
        "every terminal state of standard.yaml is reached, by events or by timers",
        arguments: [
            ("cancelled", [("cancel", [String: JSONValue]())], false),
            ("cancelled", [("issue_label", [:]), ("cancel", [:])], false),
            ("rejected", [("reject", ["reason": .string("outside the return window")])], false),
            ("rejected", untilReceived + [("inspect", [:]), ("reject", ["reason": .string("empty box")])], false),
            ("label_expired", [("issue_label", [:])], true),
            ("lost_in_transit", [("issue_label", [:]), ("ship", tracking)], true),
        ] as [(String, [(String, [String: JSONValue])], Bool)])
    func terminalStates(expected: String, events: [(String, [String: JSONValue])], needsTime: Bool) async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, events)
            if needsTime {
                let early = try await engine.timers.fireDue(asOf: Date().addingTimeInterval(86_400))
                #expect(early.fired == 0)
                let report = try await engine.timers.fireDue(asOf: Date().addingTimeInterval(31 * 86_400))
                #expect(report.fired == 1)
            }
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == expected)
            #expect(details.history.map(\.seq) == Array(1...(events.count + 1 + (needsTime ? 1 : 0))))
            #expect(details.history.last?.to == expected)
            if needsTime { #expect(details.history.last?.actor.hasPrefix("timer:") == true) }
            #expect(details.pendingTimers.isEmpty || expected == "lost_in_transit" || expected == "label_expired")
            // A finished return accepts nothing more, and says so.
            await #expect(throws: EngineError.self) { try await engine.transitions.apply("cancel", to: id, actor: "test") }
        }
    }

    @Test("the inspection SLA timer escalates a received return and re-arms itself")
    func inspectionEscalates() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, untilReceived)
            let in49Hours = Date().addingTimeInterval(49 * 3_600)
            #expect(try await engine.timers.fireDue(asOf: in49Hours).fired == 1)
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "inspection_escalated")
            #expect(details.pendingTimers.map(\.name) == ["inspection_sla"])
            // Re-armed 24 hours after the simulated moment, not after the real one.
            let due = try #require(details.pendingTimers.first?.dueAt)
            #expect(abs(due.timeIntervalSince(in49Hours) - 86_400) < 5)
            try await engine.drive(id, [("inspect", [:])])
            #expect(try await engine.lookup.details(of: id).record.state == "inspected")
        }
    }

    @Test("an event not allowed in the state is refused, names the allowed events, and writes nothing")
    func refusedEvent() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            do {
                _ = try await engine.transitions.apply("receive", to: id, actor: "test")
                Issue.record("receive was accepted in state requested")
            } catch let error as EngineError {
                #expect(error == .workflow(.eventNotAllowed(event: "receive", state: "requested", allowed: ["issue_label", "cancel", "reject"])))
                #expect(error.description.contains("allowed there: issue_label, cancel, reject"))
            }
            await #expect(throws: EngineError.workflow(.unknownEvent(event: "teleport", workflow: "standard", known: engine.catalog.workflow(named: "standard")!.definition.events.map(\.name)))) {
                try await engine.transitions.apply("teleport", to: id, actor: "test")
            }
            // A guard that fails refuses too.
            try await engine.drive(id, [("issue_label", [:])])
            await #expect(throws: EngineError.self) { try await engine.transitions.apply("ship", to: id, actor: "test") }
            let details = try await engine.lookup.details(of: id)
            #expect(details.record.state == "label_issued")
            #expect(details.record.version == 2)
            #expect(details.history.count == 2)
            #expect(try await engine.count("SELECT count(*)::bigint FROM outbox WHERE return_id = \(id)") == 1)
            await #expect(throws: EngineError.returnNotFound(UUID(uuidString: "00000000-0000-0000-0000-000000000001")!)) {
                try await engine.transitions.apply("cancel", to: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, actor: "test")
            }
        }
    }

    @Test("a stale expected version is refused with the current one")
    func compareAndSet() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            await #expect(throws: EngineError.versionConflict(expected: 5, actual: 1)) {
                try await engine.transitions.apply("issue_label", to: id, actor: "test", expectedVersion: 5)
            }
            let result = try await engine.transitions.apply("issue_label", to: id, actor: "test", expectedVersion: 1)
            #expect(result.seq == 2)
        }
    }
}
