import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Issue 15, item 10: `returns partner import` checks the whole file against what the engine will accept before
/// applying anything. One line the engine would refuse, and the file's good returns are not applied either.
@Suite("Partner import refuses a file the engine would refuse in part")
struct PartnerImportRefusalTests {
    static let header = "return_id,sku,quantity_received,grade,disposition,received_at,inspected_at,notes,carrier\n"

    func lid(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// The bad return's two lines (SHOE-42 x1, SOCK-3P x2 returned), the line and column blamed, and what is said.
    static let cases: [(shoe: String, socks: String, line: Int, column: Int, says: String)] = [
        ("1,A,restock", "3,B,open_box", 4, 3, "3 received in all would be more than the 2 returned"),
        ("0,A,restock", "2,B,open_box", 3, 4, "nothing of this line was received"),
        ("1,A,liquidate", "2,B,open_box", 3, 8, "overriding the default disposition restock with liquidate needs a reason"),
    ]

    @Test(
        "a quantity beyond what was returned, a grade for an unreceived line, a missing reason: FILE:LINE:COLUMN, exit 64, and not even the good return is applied",
        arguments: 0..<cases.count)
    func refusedWhole(index: Int) async throws {
        let (shoe, socks, line, column, says) = Self.cases[index]
        let settings = try await TestDatabase.makeDatabase()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            let acme = try await ReconcileFixtures.partner("acme", in: database)
            let good = try await engine.makeReturn()
            let bad = try await engine.makeReturn()
            for id in [good, bad] {
                try await engine.drive(id, [("issue_label", [:]), ("ship", tracking)])
                try await ReconcileFixtures.assign(id, to: acme, in: database)
            }
            let now = ISO8601DateFormatter().string(from: Date())
            let file = try ReconcileFixtures.file(
                Self.header + """
                    \(lid(good)),SHOE-42,1,A,restock,\(now),\(now),,DHL
                    \(lid(bad)),SHOE-42,\(shoe),\(now),\(now),,DHL
                    \(lid(bad)),SOCK-3P,\(socks),\(now),\(now),,DHL
                    \(lid(good)),SOCK-3P,2,B,open_box,\(now),\(now),,DHL

                    """)
            func snapshot() async throws -> [String] {
                let counts = try await ReconcileFixtures.tableCounts(database)
                let items = try await engine.rows(
                    "SELECT return_id::text || ':' || line || ':' || quantity_received || ':' || coalesce(grade, '-') FROM return_items ORDER BY 1",
                    as: (String.self))
                let states = try await engine.rows(
                    "SELECT id::text || ':' || state || ':' || version FROM returns ORDER BY 1", as: (String.self))
                return counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + items + states
            }
            let before = try await snapshot()

            let dry = try await CLI.run(["partner", "import", "--partner", "acme", file, "--dry-run"], database: settings)
            #expect(dry.code == 64, "\(dry.text)")
            #expect(dry.errors.contains("\(file):\(line):\(column): "), "\(dry.text)")
            #expect(try await snapshot() == before)

            let refused = try await CLI.run(["partner", "import", "--partner", "acme", file], database: settings)
            #expect(refused.code == 64, "\(refused.text)")
            #expect(refused.errors.contains("\(file):\(line):\(column): return \(lid(bad))"), "\(refused.text)")
            #expect(refused.errors.contains(says), "\(refused.text)")
            #expect(!refused.errors.contains(lid(good)), "\(refused.text)")
            #expect(try await snapshot() == before)
            #expect(try await engine.lookup.details(of: good).record.state == "in_transit")
            #expect(try await engine.lookup.details(of: bad).record.state == "in_transit")
        }
    }

    @Test("a step the return's state does not take is refused with its line, not skipped; nothing is applied")
    func stateRefusal() async throws {
        let settings = try await TestDatabase.makeDatabase()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            let acme = try await ReconcileFixtures.partner("acme", in: database)
            let good = try await engine.makeReturn()
            let early = try await engine.makeReturn()
            try await engine.drive(good, [("issue_label", [:]), ("ship", tracking)])
            try await engine.drive(early, [("issue_label", [:])])  // not shipped: cannot be received
            for id in [good, early] { try await ReconcileFixtures.assign(id, to: acme, in: database) }
            let now = ISO8601DateFormatter().string(from: Date())
            let file = try ReconcileFixtures.file(
                Self.header + """
                    \(lid(good)),SHOE-42,1,A,restock,\(now),\(now),,DHL
                    \(lid(early)),SHOE-42,1,,,\(now),,,DHL

                    """)
            let before = try await ReconcileFixtures.tableCounts(database)
            let refused = try await CLI.run(["partner", "import", "--partner", "acme", file], database: settings)
            #expect(refused.code == 64, "\(refused.text)")
            #expect(refused.errors.contains("\(file):3:1: return \(lid(early))"), "\(refused.text)")
            #expect(refused.errors.contains("receive"), "\(refused.text)")
            #expect(try await ReconcileFixtures.tableCounts(database) == before)
            #expect(try await engine.lookup.details(of: good).record.state == "in_transit")
        }
    }
}
