import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

@Suite("Finance API")
struct FinanceAPITests {
    /// A specialist return driven to manual review.
    static func inReview(_ engine: Engine) async throws -> UUID {
        let id = try await engine.makeReturn(workflow: "specialist")
        try await engine.drive(id, untilReceived + [("inspect", ["grade": .string("A")])])
        return id
    }

    @Test("finance approves a return in manual review once; the refund is issued; a repeat replays")
    func approve() async throws {
        try await API.withRouter { api in
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "carol")
            let id = try await Self.inReview(api.engine)
            let path = "/v1/finance/returns/\(id.uuidString.lowercased())/approve"
            let approved = try await api.send(.post, path, key: finance, idempotencyKey: "approve-1")
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.json["state"] == .string("refund_pending"))
            let again = try await api.send(.post, path, key: finance, idempotencyKey: "approve-1")
            #expect(again.json["replayed"] == .bool(true))
            #expect(try await api.engine.count("SELECT count(*)::int FROM refunds WHERE return_id = \(id)") == 1)
            let history = try await api.engine.lookup.details(of: id).history
            #expect(history.last?.actor == "finance:carol")
            let listed = try await api.send(.get, "/v1/finance/refunds?status=pending", key: finance)
            #expect(listed.text.contains(id.uuidString.lowercased()))
        }
    }

    @Test("a rejection needs a reason; one with a reason rejects the return")
    func reject() async throws {
        try await API.withRouter { api in
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "dave")
            let id = try await Self.inReview(api.engine)
            let path = "/v1/finance/returns/\(id.uuidString.lowercased())/reject"
            let bare = try await api.send(.post, path, json: "{}", key: finance, idempotencyKey: "r1")
            #expect(bare.status == .badRequest)
            #expect(bare.json["field"] == .string("reason"))
            let rejected = try await api.send(
                .post, path, json: #"{"reason": "serial number does not match"}"#, key: finance, idempotencyKey: "r2")
            #expect(rejected.json["state"] == .string("rejected"))
            let late = try await api.send(
                .post, "/v1/finance/returns/\(id.uuidString.lowercased())/approve", key: finance, idempotencyKey: "a1")
            #expect(late.status == .conflict)
        }
    }

    @Test("refund listing filters by status and period and refuses unknown statuses")
    func refundFilters() async throws {
        try await API.withRouter { api in
            let finance = try await api.engine.accessKeys.addKey(role: .finance, name: "erin")
            let id = try await Self.inReview(api.engine)
            _ = try await api.engine.transitions.apply("approve", to: id, actor: "test")
            let future = try await api.send(.get, "/v1/finance/refunds?from=2999-01-01", key: finance)
            #expect(future.json["refunds"] == .array([]))
            let all = try await api.send(.get, "/v1/finance/refunds?from=2000-01-01&to=2999-01-01", key: finance)
            guard case .array(let refunds)? = all.json["refunds"] else { throw CancellationError() }
            #expect(refunds.count == 1)
            let bad = try await api.send(.get, "/v1/finance/refunds?status=lost", key: finance)
            #expect(bad.status == .badRequest)
            #expect(bad.json["field"] == .string("status"))
        }
    }
}
