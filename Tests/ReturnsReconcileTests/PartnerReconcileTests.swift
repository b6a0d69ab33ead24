import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("Partner manifests: reconcile, import, scorecard")
struct PartnerReconcileTests {
    static let header = "return_id,sku,quantity_received,grade,disposition,received_at,inspected_at,notes,carrier\n"

    func lid(_ id: UUID) -> String { id.uuidString.lowercased() }

    func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    @Test("every discrepancy kind from a small hand-made manifest; nothing is written; the scorecard sees the rate")
    func everyKind() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let home = try ReconcileFixtures.home()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            let acme = try await ReconcileFixtures.partner("acme", in: database)
            let other = try await ReconcileFixtures.partner("other", in: database)
            // a: received and graded A (SHOE-42, restock) and B (SOCK-3P, open_box). b: received, not inspected.
            // c: another partner's.
            let a = try await engine.makeReturn()
            try await engine.drive(
                a,
                untilReceived + [
                    ("inspect", [:]),
                    (
                        "grade",
                        [
                            "items": .array([
                                .object(["line": .number(1), "grade": .string("A")]),
                                .object(["line": .number(2), "grade": .string("B")]),
                            ])
                        ]
                    ),
                ])
            let b = try await engine.makeReturn()
            try await engine.drive(b, untilReceived)
            let c = try await engine.makeReturn()
            try await engine.drive(c, untilReceived)
            try await ReconcileFixtures.assign(a, to: acme, in: database)
            try await ReconcileFixtures.assign(b, to: acme, in: database)
            try await ReconcileFixtures.assign(c, to: other, in: database)
            let now = Date()
            let received = stamp(now)
            let inspected = stamp(now.addingTimeInterval(3_600))
            let late = stamp(now.addingTimeInterval(3 * 86_400))
            let before = try await ReconcileFixtures.tableCounts(database)
            let file = try ReconcileFixtures.file(
                Self.header + """
                    \(lid(a)),SHOE-42,1,A,restock,\(received),\(inspected),,DHL
                    \(lid(a)),SOCK-3P,3,C,liquidate,\(received),\(inspected),"torn, stained",DHL
                    \(lid(a)),SHOE-42,1,A,restock,\(received),\(inspected),,DHL
                    \(lid(UUID())),SHOE-42,1,A,restock,\(received),\(inspected),,DHL
                    \(lid(b)),SHOE-42,1,A,restock,\(received),\(late),,DHL
                    \(lid(c)),SHOE-42,1,,,\(received),,,DHL

                    """)
            let result = try await CLI.run(
                ["reconcile", "partner", "--partner", "acme", "--manifest", file, "--format", "json"],
                database: settings,
                environment: ["RETURNS_HOME": home])
            #expect(result.code == 1, "\(result.text)")
            #expect(result.errors == "warning: \(file): ignoring column carrier\n")
            let json = try CLI.json(result.output)
            let summary = try #require(json["summary"] as? [String: Int])
            #expect(
                summary == [
                    "matched": 1, "missing_in_engine": 2, "missing_in_manifest": 1, "quantity_mismatch": 1,
                    "grade_mismatch": 1, "disposition_mismatch": 1, "state_mismatch": 1, "duplicate_line": 1,
                    "sla_breach": 1,
                ])
            let found = try #require(json["discrepancies"] as? [[String: Any]])
            func one(_ kind: String) -> [String: Any]? { found.first { $0["kind"] as? String == kind } }
            #expect(one("quantity_mismatch")?["line"] as? Int == 3)
            #expect(one("quantity_mismatch")?["expected"] as? String == "SOCK-3P received 2")
            #expect(one("quantity_mismatch")?["actual"] as? String == "SOCK-3P received 3")
            #expect(one("grade_mismatch")?["expected"] as? String == "SOCK-3P grade B")
            #expect(one("disposition_mismatch")?["actual"] as? String == "SOCK-3P liquidate")
            #expect(one("duplicate_line")?["line"] as? Int == 4)
            #expect(
                found.filter { $0["kind"] as? String == "missing_in_engine" }.map { $0["expected"] as? String } == [
                    "no such return", "return not assigned to this partner",
                ])
            #expect(one("state_mismatch")?["return_id"] as? String == lid(b))
            #expect(one("sla_breach")?["return_id"] as? String == lid(b))
            #expect(one("sla_breach")?["expected"] as? String == "inspected within 48.0h of receipt")
            #expect(one("missing_in_manifest")?["return_id"] as? String == lid(b))
            #expect(one("missing_in_manifest")?["expected"] as? String == "SOCK-3P received 2")
            #expect(try await ReconcileFixtures.tableCounts(database) == before)

            let card = try await CLI.run(
                ["partner", "scorecard", "--partner", "acme", "--json"], database: settings,
                environment: ["RETURNS_HOME": home])
            #expect(card.code == 0, "\(card.text)")
            let scorecard = try CLI.json(card.output)
            #expect(scorecard["volume"] as? Int == 2)
            #expect(scorecard["inspected"] as? Int == 1)
            #expect(scorecard["slaCompliance"] as? Double == 1.0)
            #expect(scorecard["grades"] as? [String: Int] == ["A": 1, "B": 2])
            let last = try #require(scorecard["lastReconciliation"] as? [String: Any])
            #expect(last["lines"] as? Int == 6)
            #expect(last["discrepancies"] as? Int == 9)

            let unknown = try await CLI.run(
                ["reconcile", "partner", "--partner", "nobody", "--manifest", file], database: settings,
                environment: ["RETURNS_HOME": home])
            #expect(unknown.code == 2)
            #expect(unknown.errors.contains("no partner named 'nobody'; partners: acme, other"))
        }
    }

    @Test("partner import applies receipts and inspections once; a second run changes nothing")
    func importTwice() async throws {
        let settings = try await TestDatabase.makeDatabase()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            let acme = try await ReconcileFixtures.partner("acme", in: database)
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:]), ("ship", tracking)])
            try await ReconcileFixtures.assign(id, to: acme, in: database)
            let now = stamp(Date())
            let file = try ReconcileFixtures.file(
                Self.header + """
                    \(lid(id)),SHOE-42,1,A,restock,\(now),\(now),,DHL
                    \(lid(id)),SOCK-3P,2,B,open_box,\(now),\(now),,DHL

                    """)

            let malformed = try ReconcileFixtures.file(
                Self.header
                    + "\(lid(id)),SHOE-42,1,A,restock,\(now),\(now),,DHL\n\(lid(id)),SOCK-3P,two,B,open_box,\(now),\(now),,\n"
            )
            let refused = try await CLI.run(["partner", "import", "--partner", "acme", malformed], database: settings)
            #expect(refused.code == 64)
            #expect(refused.errors.contains("\(malformed):3:3: quantity_received 'two' is not a whole number"))
            let stranger = try ReconcileFixtures.file(
                Self.header
                    + "\(lid(id)),SHOE-42,1,A,restock,\(now),\(now),,DHL\n\(lid(id)),HAT,1,A,restock,\(now),\(now),,\n")
            let refusedSKU = try await CLI.run(["partner", "import", "--partner", "acme", stranger], database: settings)
            #expect(refusedSKU.code == 64)
            #expect(refusedSKU.errors.contains("\(stranger):3:2: return \(lid(id)) has no item HAT"))
            let dry = try await CLI.run(["partner", "import", "--partner", "acme", file, "--dry-run"], database: settings)
            #expect(dry.code == 0, "\(dry.text)")
            // The dry run goes through the engine and rolls back: every event it would apply, planned.
            #expect(dry.output.contains("4 planned (dry run)"), "\(dry.text)")
            #expect(try await engine.lookup.details(of: id).record.state == "in_transit")

            let first = try await CLI.run(["partner", "import", "--partner", "acme", file], database: settings)
            #expect(first.code == 0, "\(first.text)")
            #expect(first.output.contains("2 lines: 4 events applied, 0 already applied"))
            let details = try await engine.lookup.details(of: id)
            // The partner API's path: receive, inspect, grade, and approve the refund.
            #expect(details.record.state == "refund_pending")
            #expect(details.history.suffix(4).map(\.event) == ["receive", "inspect", "grade", "approve_refund"])
            #expect(details.items.map(\.received) == [1, 2])
            #expect(details.items.map(\.grade) == ["A", "B"])
            #expect(details.items.map(\.disposition) == ["restock", "open_box"])
            #expect(details.history.last?.actor == "partner:acme")
            let after = try await ReconcileFixtures.tableCounts(database)

            let second = try await CLI.run(["partner", "import", "--partner", "acme", file], database: settings)
            #expect(second.code == 0, "\(second.text)")
            #expect(second.output.contains("2 lines: 0 events applied, 4 already applied"))
            #expect(try await ReconcileFixtures.tableCounts(database) == after)
            #expect(try await engine.lookup.details(of: id).record.version == details.record.version)

            let reconciled = try await CLI.run(
                ["reconcile", "partner", "--partner", "acme", "--manifest", file, "--format", "json"],
                database: settings,
                environment: ["RETURNS_HOME": try ReconcileFixtures.home()])
            #expect(reconciled.code == 0, "\(reconciled.text)")
        }
    }
}
