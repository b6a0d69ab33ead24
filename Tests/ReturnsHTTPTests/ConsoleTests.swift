import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

/// The staff console as staff use it in a browser: sign in, see what the role may see, act through forms that carry
/// the form token and an idempotency key.
@Suite("The staff console: sign-in, roles, actions exactly once")
struct ConsoleTests {
    static let password = "correct horse battery"

    /// A browser signed in as `email`.
    static func signedIn(_ api: API, _ email: String) async throws -> API.Browser {
        var browser = API.Browser(api)
        _ = try await browser.get("/console/sign-in")
        let reply = try await browser.post("/console/sign-in", [("email", email), ("password", password)])
        try #require(reply.status == .seeOther, "\(reply.text)")
        let cookie = try #require(reply.headers[.setCookie])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
        return browser
    }

    static func key(in page: String) throws -> String {
        try #require(page.firstMatch(of: #/name="key" value="([^"]+)"/#).map { String($0.1) })
    }

    @Test("a wrong password and an unknown email get one answer; five failures lock the account, even to the right password")
    func signInAndLockout() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.staff.add(email: "Olga@Example.com", role: .ops, partner: nil, password: Self.password)
            var browser = API.Browser(api)
            #expect(try await browser.get("/console").status == .seeOther)
            _ = try await browser.get("/console/sign-in")
            let unknown = try await browser.post("/console/sign-in", [("email", "nobody@example.com"), ("password", "x")])
            #expect(unknown.status == .unauthorized && unknown.text.contains("The email or the password is wrong."))
            for _ in 0..<5 {
                let wrong = try await browser.post("/console/sign-in", [("email", "olga@example.com"), ("password", "wrong password!")])
                #expect(wrong.status == .unauthorized && wrong.text.contains("The email or the password is wrong."))
            }
            let locked = try await browser.post("/console/sign-in", [("email", "olga@example.com"), ("password", Self.password)])
            #expect(locked.status == .tooManyRequests && locked.text.contains("locked until"), "\(locked.text)")
            #expect(locked.headers[.setCookie] == nil)
            // Without the form token nothing is even checked.
            let forged = try await browser.post("/console/sign-in", [("email", "olga@example.com"), ("password", Self.password)], token: false)
            #expect(forged.status == .forbidden)
            #expect(try await api.engine.count("SELECT count(*)::int FROM staff_sessions") == 0)
        }
    }

    @Test("a partner's staff see only their partner's returns, by id, search and queue; finance acts on reviews, ops may not")
    func roleBoundaries() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.accessKeys.addPartner(name: "eu-3pl", region: "EU")
            _ = try await api.engine.accessKeys.addPartner(name: "us-3pl", region: "US")
            let (euReturn, _) = try await api.requestReturn(order: "EU-1", region: "EU")
            let (usReturn, _) = try await api.requestReturn(order: "US-1", region: "US")
            _ = try await api.engine.staff.add(email: "pia@eu.example", role: .partner, partner: "eu-3pl", password: Self.password)
            _ = try await api.engine.staff.add(email: "olga@example.com", role: .ops, partner: nil, password: Self.password)
            _ = try await api.engine.staff.add(email: "fin@example.com", role: .finance, partner: nil, password: Self.password)
            var partner = try await Self.signedIn(api, "pia@eu.example")
            let own = try await partner.get("/console/returns/\(euReturn.uuidString.lowercased())")
            #expect(own.status == .ok && own.text.contains("EU-1"))
            // The order's own lines (and what its other returns hold) are the shop's, not shown to a partner.
            #expect(!own.text.contains("<h2>Order EU-1</h2>") && !own.text.contains("Held by returns"))
            let other = try await partner.get("/console/returns/\(usReturn.uuidString.lowercased())")
            #expect(other.status == .notFound && !other.text.contains("US-1"))
            let search = try await partner.get("/console?q=US-1")
            #expect(search.text.contains("No return matches.") && !search.text.contains("us-1@example.com"))
            let all = try await partner.get("/console")
            #expect(all.text.contains("EU-1") && !all.text.contains("US-1"))
            let queue = try await partner.get("/console/queues/partner-work")
            #expect(queue.text.contains("EU-1") && !queue.text.contains("US-1"))
            // Acting on another partner's return is refused as not found, and changes nothing.
            let foreign = try await partner.post(
                "/console/returns/\(usReturn.uuidString.lowercased())/receive", [("key", "k1")])
            #expect(foreign.status == .notFound)

            let review = try await FinanceAPITests.inReview(api.engine)
            let path = "/console/returns/\(review.uuidString.lowercased())"
            var ops = try await Self.signedIn(api, "olga@example.com")
            let byPartner = try await ops.get("/console?partner=us-3pl")
            #expect(byPartner.text.contains("US-1") && !byPartner.text.contains("EU-1"))
            #expect(try await ops.get("/console?resolution=refund&q=EU-1").text.contains("EU-1"))
            #expect(try await ops.get("/console?resolution=store_credit&q=EU-1").text.contains("No return matches."))
            #expect(try await ops.get("/console?partner=nobody").text.contains("No return matches."))
            #expect(try await ops.get("/console?idle_days=1").text.contains("No return matches."))
            #expect(try await ops.get("/console?idle_days=0&q=EU-1").text.contains("EU-1"))
            let opsPage = try await ops.get(path)
            #expect(opsPage.status == .ok && !opsPage.text.contains("Approve the refund"))
            let refused = try await ops.post(path + "/decide", [("event", "approve"), ("key", "ops-1")])
            #expect(refused.status == .forbidden && refused.text.contains("for finance staff"))
            #expect(try await api.engine.lookup.details(of: review).record.state == "manual_review")

            // Past the inspection SLA: found by the filter and in ops' queue; the return not past it is not.
            try await api.engine.drive(
                euReturn, [("ship", ["tracking_number": .string("1ZEU")]), ("receive", [:]), ("inspection_overdue", [:])])
            let breached = try await ops.get("/console?sla=1")
            #expect(breached.text.contains("EU-1") && !breached.text.contains("US-1"), "\(breached.text)")
            #expect(try await ops.get("/console?sla=1&q=US-1").text.contains("No return matches."))
            #expect(try await ops.get("/console/queues/sla-breaches").text.contains("EU-1"))

            // Finance may not do what only ops do: revive a notification or close a follow-up; nothing changes.
            let message = try #require(
                try await api.engine.rows("SELECT message_id FROM outbox WHERE return_id = \(euReturn) LIMIT 1", as: (UUID.self)).first)
            _ = try await api.engine.database.client.query("UPDATE outbox SET status = 'dead' WHERE message_id = \(message)")
            _ = try await api.engine.database.client.query(
                "INSERT INTO return_feedback (return_id, resolved, locale, follow_up) VALUES (\(euReturn), false, 'en', 'open')")
            var finance = try await Self.signedIn(api, "fin@example.com")
            let revive = try await finance.post("/console/notifications/\(message.uuidString.lowercased())/revive", [])
            #expect(revive.status == .forbidden && revive.text.contains("for ops staff"), "\(revive.text)")
            let close = try await finance.post(
                "/console/returns/\(euReturn.uuidString.lowercased())/follow-up", [("note", "done")])
            #expect(close.status == .forbidden && close.text.contains("for ops staff"), "\(close.text)")
            #expect(try await api.engine.count("SELECT count(*)::int FROM outbox WHERE status = 'dead'") == 1)
            #expect(try await api.engine.count("SELECT count(*)::int FROM return_feedback WHERE follow_up = 'open'") == 1)
            #expect(try await api.engine.count("SELECT count(*)::int FROM staff_audit") == 0)
        }
    }

    @Test("approving twice (a double click, a re-posted form) makes one transition; without the form token, none")
    func approveOnce() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.staff.add(email: "fin@example.com", role: .finance, partner: nil, password: Self.password)
            let review = try await FinanceAPITests.inReview(api.engine)
            let path = "/console/returns/\(review.uuidString.lowercased())"
            var finance = try await Self.signedIn(api, "fin@example.com")
            let page = try await finance.get(path)
            #expect(page.text.contains("Approve the refund"))
            let key = try Self.key(in: page.text)
            let forged = try await finance.post(path + "/decide", [("event", "approve"), ("key", key)], token: false)
            #expect(forged.status == .forbidden)
            #expect(try await api.engine.lookup.details(of: review).record.state == "manual_review")
            let first = try await finance.post(path + "/decide", [("event", "approve"), ("key", key)])
            let second = try await finance.post(path + "/decide", [("event", "approve"), ("key", key)])
            #expect(first.status == .seeOther && second.status == .seeOther, "\(second.text)")
            #expect(
                try await api.engine.count(
                    "SELECT count(*)::int FROM return_events WHERE return_id = \(review) AND event = 'approve'") == 1)
            #expect(
                try await api.engine.count(
                    "SELECT count(*)::int FROM return_events WHERE return_id = \(review) AND actor = 'staff:fin@example.com'") == 1)
            #expect(try await api.engine.count("SELECT count(*)::int FROM staff_audit WHERE action = 'approve'") == 1)
            let story = try await finance.get(path + "?done=approved")
            #expect(story.text.contains("by staff:fin@example.com"))
        }
    }

    @Test("a revoked session is refused at once; signing out ends the session")
    func revoked() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.staff.add(email: "olga@example.com", role: .ops, partner: nil, password: Self.password)
            var ops = try await Self.signedIn(api, "olga@example.com")
            #expect(try await ops.get("/console").status == .ok)
            #expect(try await api.engine.staff.revoke(email: "olga@example.com") == 1)
            #expect(try await ops.get("/console").status == .seeOther)
            #expect(try await ops.post("/console/sign-out", []).status == .unauthorized)
            let again = try await ops.post("/console/sign-in", [("email", "olga@example.com"), ("password", Self.password)])
            #expect(again.status == .unauthorized)

            _ = try await api.engine.staff.add(email: "olga@example.com", role: .ops, partner: nil, password: Self.password)
            var back = try await Self.signedIn(api, "olga@example.com")
            #expect(try await back.post("/console/sign-out", []).status == .seeOther)
            #expect(try await back.get("/console").status == .seeOther)
        }
    }

    @Test("partner staff record a receipt and an inspection by form; ops closes a 'no' follow-up; figures draw and download")
    func partnerWorkAndFigures() async throws {
        try await API.withRouter { api in
            let partnerKey = try await api.engine.accessKeys.addPartner(name: "eu-3pl", region: "EU")
            let (id, _) = try await api.requestReturn(order: "W-1", region: "EU")
            _ = try await api.engine.transitions.apply(
                "ship", to: id, actor: "test", data: ["tracking_number": .string("1ZW1TRACK")])
            _ = try await api.engine.staff.add(email: "pia@eu.example", role: .partner, partner: "eu-3pl", password: Self.password)
            var partner = try await Self.signedIn(api, "pia@eu.example")
            let path = "/console/returns/\(id.uuidString.lowercased())"
            let page = try await partner.get(path)
            #expect(page.text.contains("Record the receipt"))
            let received = try await partner.post(path + "/receive", [("key", try Self.key(in: page.text)), ("notes", "box dented")])
            #expect(received.status == .seeOther, "\(received.text)")
            #expect(try await api.engine.lookup.details(of: id).record.state == "received")
            let next = try await partner.get(path)
            #expect(next.text.contains("Record the inspection"))
            let inspected = try await partner.post(
                path + "/inspect", [("key", try Self.key(in: next.text)), ("grade", "B"), ("disposition", ""), ("notes", "worn")])
            #expect(inspected.status == .seeOther, "\(inspected.text)")
            let details = try await api.engine.lookup.details(of: id)
            #expect(details.items.allSatisfy { $0.grade == "B" })
            #expect(details.history.filter { $0.actor == "staff:pia@eu.example" }.map(\.event).contains("receive"), "\(details.history)")

            _ = try await api.engine.database.client.query(
                "INSERT INTO return_feedback (return_id, resolved, reason, locale, follow_up) VALUES (\(id), false, 'too_slow', 'en', 'open')")
            _ = try await api.engine.staff.add(email: "olga@example.com", role: .ops, partner: nil, password: Self.password)
            var ops = try await Self.signedIn(api, "olga@example.com")
            #expect(try await ops.get("/console/queues/follow-ups").text.contains("too_slow"))
            // Found by the carrier's tracking number; the story shows the order's own lines beside the returned ones.
            let tracked = try await ops.get("/console?q=1ZW1TRACK")
            #expect(tracked.text.contains(id.uuidString.lowercased()) && tracked.text.contains("W-1"), "\(tracked.text)")
            #expect(try await ops.get("/console?q=1ZNOSUCH").text.contains("No return matches."))
            let story = try await ops.get(path)
            #expect(story.text.contains("<h2>Order W-1</h2>"), "\(story.text)")
            #expect(story.text.contains("<th scope=\"col\">Held by returns</th>"))
            let closed = try await ops.post(path + "/follow-up", [("note", "called the customer, refund explained")])
            #expect(closed.status == .seeOther)
            #expect(try await api.engine.count("SELECT count(*)::int FROM return_feedback WHERE follow_up = 'closed' AND follow_up_by = 'olga@example.com'") == 1)
            #expect(try await ops.get("/console/queues/follow-ups").text.contains("Nothing waiting."))

            // A second return goes through the partner's API alone; both are refunded: one of two finished without
            // any staff action.
            let (other, _) = try await api.requestReturn(order: "W-2", region: "EU")
            let otherPath = "/v1/partner/returns/\(other.uuidString.lowercased())"
            for (step, json) in [
                ("/scans", #"{"kind": "picked_up", "tracking_number": "1ZW2"}"#),
                ("/receipt", #"{"items": [{"line": 1, "quantity_received": 1}, {"line": 2, "quantity_received": 2}]}"#),
                ("/inspection", #"{"items": [{"line": 1, "grade": "A"}, {"line": 2, "grade": "A"}]}"#),
            ] {
                let reply = try await api.send(.post, otherPath + step, json: json, key: partnerKey, idempotencyKey: step)
                #expect(reply.status == .ok, "\(step): \(reply.text)")
            }
            #expect(try await api.engine.refunds.sendDue(through: LedgerProvider(database: api.engine.database)).paid == 2)
            for finished in [id, other] {
                #expect(try await api.engine.lookup.details(of: finished).record.state == "refunded")
            }
            let figures = try await ops.get("/console/figures")
            #expect(figures.status == .ok && figures.text.contains("<svg") && figures.text.contains("<table>"))
            #expect(figures.text.contains("50.0% (1 of 2)"), "\(figures.text)")
            // The partner received and inspected both returns within the SLA.
            #expect(figures.text.contains("<tr><td>eu-3pl</td><td>2</td><td>2</td><td>0</td><td>100.0%</td>"), "\(figures.text)")
            let csv = try await ops.get("/console/figures?format=csv")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8" && csv.text.hasPrefix("figure,key,state,value\n"))
            #expect(csv.text.contains("nrr_partner,eu-3pl,,1.0000"), "\(csv.text)")
            #expect(csv.text.contains("automation_rate,finished,,0.5000\n"), "\(csv.text)")
            #expect(
                csv.text.contains("inspections,eu-3pl,received,2\ninspections,eu-3pl,inspected,2\ninspections,eu-3pl,missed_sla,0\n"),
                "\(csv.text)")
        }
    }

    @Test("a batch of parcels scanned by reference is received once, however often it is sent; strangers' and nonsense are named")
    func batchReceipt() async throws {
        try await API.withRouter { api in
            _ = try await api.engine.accessKeys.addPartner(name: "eu-3pl", region: "EU")
            _ = try await api.engine.accessKeys.addPartner(name: "us-3pl", region: "US")
            var ids: [UUID] = []
            for order in ["B-1", "B-2"] {
                let (id, _) = try await api.requestReturn(order: order, region: "EU")
                _ = try await api.engine.transitions.apply("ship", to: id, actor: "test", data: ["tracking_number": .string("1Z")])
                ids.append(id)
            }
            let (stranger, _) = try await api.requestReturn(order: "B-3", region: "US")
            _ = try await api.engine.staff.add(email: "pia@eu.example", role: .partner, partner: "eu-3pl", password: Self.password)
            var partner = try await Self.signedIn(api, "pia@eu.example")
            let queue = try await partner.get("/console/queues/partner-work")
            let key = try Self.key(in: queue.text)
            let references = (ids + [stranger]).map { $0.uuidString.lowercased() }.joined(separator: "\n") + "\nnot-a-reference\n"
            let first = try await partner.post("/console/receipts", [("key", key), ("references", references)])
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.text.components(separatedBy: "<td>received</td>").count == 3)
            #expect(first.text.contains("not one of your returns") && first.text.contains("not a return reference"))
            let again = try await partner.post("/console/receipts", [("key", key), ("references", references)])
            #expect(again.text.components(separatedBy: "<td>already received</td>").count == 3, "\(again.text)")
            for id in ids { #expect(try await api.engine.lookup.details(of: id).record.state == "received") }
            #expect(try await api.engine.count("SELECT count(*)::int FROM return_events WHERE event = 'receive'") == 2)
            #expect(try await api.engine.lookup.details(of: stranger).record.state == "label_issued")
        }
    }

    @Test("an exchange whose hold lapsed waits for stock in ops' queue, with the units free now; once it ships it leaves")
    func exchangesWaitingForStock() async throws {
        try await API.withRouter { api in
            let engine = api.engine
            let eur = try Currency(code: "EUR")
            _ = try await engine.exchangeCatalog.put(
                CatalogVariant(
                    sku: "SHIRT-M", productID: "P-SHIRT", title: "Shirt", attributes: ["size": "M"], priceMinor: 6_000,
                    currency: eur, onHand: 1))
            try await engine.makeOrder("XW-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let created = try await engine.transitions.create(
                from: ReturnFromOrder(
                    orderRef: "XW-1", proof: .email("xw-1@example.com"),
                    lines: [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
            _ = try await engine.staff.add(email: "olga@example.com", role: .ops, partner: nil, password: Self.password)
            _ = try await engine.staff.add(email: "fin@example.com", role: .finance, partner: nil, password: Self.password)
            var ops = try await Self.signedIn(api, "olga@example.com")
            // Held: nothing waits.
            #expect(try await ops.get("/console/queues/exchanges-waiting").text.contains("Nothing waiting."))
            _ = try await engine.database.client.query("UPDATE stock_holds SET expires_at = now() - interval '1 day'")
            #expect(try await engine.maintenance.expireLapsed().holds == 1)
            let waiting = try await ops.get("/console/queues/exchanges-waiting")
            #expect(waiting.status == .ok)
            #expect(
                waiting.text.contains("<td>XW-1</td><td>label_issued</td><td>1</td><td>SHIRT-M</td><td>1</td><td>1</td>"),
                "\(waiting.text)")
            // Finance and a partner's staff have no such queue to work (the shop's stock is not a partner's to see).
            var finance = try await Self.signedIn(api, "fin@example.com")
            #expect(!(try await finance.get("/console/queues/exchanges-waiting").text.contains("XW-1")))
            _ = try await engine.accessKeys.addPartner(name: "eu-3pl", region: "EU")
            _ = try await engine.staff.add(email: "pia@eu.example", role: .partner, partner: "eu-3pl", password: Self.password)
            var partner = try await Self.signedIn(api, "pia@eu.example")
            let partnerQueue = try await partner.get("/console/queues/exchanges-waiting")
            #expect(partnerQueue.text.contains("Nothing waiting.") && !partnerQueue.text.contains("SHIRT-M"))
            #expect(!partnerQueue.text.contains("href=\"/console/queues/exchanges-waiting\""))
            // Shipped from free stock at receipt: no longer waiting; the story itemises the replacement order.
            try await engine.drive(created.id, [("ship", ["tracking_number": .string("1Z")]), ("receive", [:])])
            #expect(try await engine.count("SELECT count(*)::int FROM stock_holds WHERE status = 'shipped'") == 1)
            #expect(try await ops.get("/console/queues/exchanges-waiting").text.contains("Nothing waiting."))
            let story = try await ops.get("/console/returns/\(created.id.uuidString.lowercased())")
            #expect(story.text.contains("<caption>Replacement orders</caption>") && story.text.contains("<td>SHIRT-M</td>"), "\(story.text)")

            // A return whose hold lapsed and that then ends waits for nothing: its hold is let go, no stock moves.
            _ = try await engine.exchangeCatalog.put(
                CatalogVariant(
                    sku: "SHIRT-L", productID: "P-SHIRT", title: "Shirt", attributes: ["size": "L"], priceMinor: 6_000,
                    currency: eur, onHand: 3))
            try await engine.makeOrder("XW-2", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
            let second = try await engine.transitions.create(
                from: ReturnFromOrder(
                    orderRef: "XW-2", proof: .email("xw-2@example.com"),
                    lines: [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-L")]))
            _ = try await engine.database.client.query(
                "UPDATE stock_holds SET expires_at = now() - interval '1 day' WHERE return_id = \(second.id)")
            #expect(try await engine.maintenance.expireLapsed().holds == 1)
            #expect(try await ops.get("/console/queues/exchanges-waiting").text.contains("XW-2"))
            _ = try await engine.transitions.apply("cancel", to: second.id, actor: "test")
            #expect(try await ops.get("/console/queues/exchanges-waiting").text.contains("Nothing waiting."))
            #expect(
                try await engine.rows("SELECT status FROM stock_holds WHERE return_id = \(second.id)", as: (String.self)) == ["released"])
            #expect(
                try await engine.rows(
                    "SELECT on_hand || '/' || held FROM catalog_variants WHERE sku = 'SHIRT-L'", as: (String.self)) == ["3/0"])
        }
    }
}
