import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("The customer's status, read in one statement")
struct CustomerStatusTests {
    @Test("timeline, next due date and refund follow the return; a failed refund is not counted, a paid one is sent")
    func followsTheReturn() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.gradedReturn(["MUG:3:10.00:EUR:kitchen:damaged"])
            let token = try #require(
                try await engine.rows("SELECT status_token FROM returns WHERE id = \(id)", as: (String.self)).first)

            /// What the status must say, worked out from the stored rows the long way.
            func expectMatchesRows(refund expected: (amount: String, status: String)?) async throws {
                guard let status = try await engine.customers.status(token: token) else {
                    Issue.record("the token opens nothing")
                    return
                }
                let details = try await engine.lookup.details(of: id)
                #expect(status.state == details.record.state)
                #expect(status.timeline.map(\.state) == details.history.filter { $0.from != $0.to }.map(\.to))
                #expect(status.timeline.map(\.at) == details.history.filter { $0.from != $0.to }.map(\.at))
                let due = try await engine.rows(
                    "SELECT due_at FROM timers WHERE return_id = \(id) AND status = 'pending' ORDER BY due_at",
                    as: (Date.self))
                #expect(status.expectedBy == due.first)
                #expect(status.refund?.amount == expected?.amount)
                #expect(status.refund?.status == expected?.status)
                #expect(status.refund.map { $0.currency == "EUR" } ?? true)
            }

            try await expectMatchesRows(refund: nil)
            _ = try await engine.transitions.apply("approve_refund", to: id, actor: "finance")
            try await expectMatchesRows(refund: ("30.00", "pending"))

            let once = RefundRetryPolicy(maxAttempts: 1, baseDelay: 0, leaseSeconds: 60)
            _ = try await engine.refunds.sendDue(through: ScriptedProvider(failure: .permanent("card closed")), retry: once)
            #expect(try await engine.lookup.details(of: id).record.state == "refund_failed")
            try await expectMatchesRows(refund: nil)

            let refund = try #require(try await engine.lookup.details(of: id).refunds.first?.id)
            try await engine.refunds.retry(refund)
            try await expectMatchesRows(refund: ("30.00", "pending"))
            #expect(try await engine.refunds.sendDue(through: ScriptedProvider(failure: nil), retry: once).paid == 1)
            try await expectMatchesRows(refund: ("30.00", "sent"))
            #expect(try await engine.customers.status(token: token + "x") == nil)
        }
    }
}
