import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// Issue 15, item 11: input PostgreSQL would refuse, or a reader would misread, is refused by `returns reconcile`
/// with exit 2 and FILE:LINE:COLUMN, never exit 3 ("database refused") nor silently.
@Suite("Reconcile input: bytes, line ends, extra fields, totals")
struct ReconcileInputTests {
    static let header = "refund_id,processor_reference,amount,currency,status,settled_at\n"
    static let manifestHeader = "return_id,sku,quantity_received,grade,disposition,received_at,inspected_at,notes\n"
    static let stamp = "2025-11-03T10:00:00Z"

    static func file(_ bytes: [UInt8]) throws -> String {
        let folder = NSTemporaryDirectory() + "reconcile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/file.csv"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A settlement line for a refund id, with `reference` as raw bytes.
    static func line(_ id: UUID, reference: [UInt8] = bytes("pr_1"), amount: String = "10.00", extra: String = "")
        -> [UInt8]
    {
        bytes("\(id.uuidString.lowercased()),") + reference + bytes(",\(amount),EUR,settled,\(stamp)\(extra)\n")
    }

    static let id = UUID()
    static let cases: [(name: String, body: [UInt8], at: String, says: String)] = [
        ("NUL", line(id, reference: bytes("pr") + [0] + bytes("1")), "2:2", "NUL byte"),
        ("invalid UTF-8", line(id, reference: bytes("pr") + [0xC3, 0x28] + bytes("1")), "2:2", "not valid UTF-8"),
        ("a lone continuation byte", line(id, reference: [0x80]), "2:2", "not valid UTF-8"),
        ("an extra field", line(id, extra: ",surplus"), "2:7", "this line has 7 fields, but the header names 6"),
        (
            "totals beyond 64 bits", line(id, amount: "92233720368547758.07") + line(UUID(), amount: "0.01"), "3:3",
            "more than 9223372036854775807 minor units"
        ),
    ]

    @Test(
        "a settlement with NUL, invalid UTF-8, an extra field or totals past 64 bits: exit 2 at FILE:LINE:COLUMN, nothing written",
        arguments: 0..<cases.count)
    func settlementRefused(index: Int) async throws {
        let (name, body, at, says) = Self.cases[index]
        let settings = try await TestDatabase.makeDatabase()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await ReconcileFixtures.insert([.init(id: Self.id, minor: 1_000)], into: database)
            let before = try await ReconcileFixtures.tableCounts(database)
            let file = try Self.file(Self.bytes(Self.header) + body)
            let result = try await CLI.run(["reconcile", "refunds", "--settlement", file], database: settings)
            #expect(result.code == 2, "\(name): \(result.text)")
            #expect(result.errors.contains("\(file):\(at): "), "\(name): \(result.errors)")
            #expect(result.errors.contains(says), "\(name): \(result.errors)")
            #expect(try await ReconcileFixtures.tableCounts(database) == before)
        }
    }

    @Test("a bare CR ends a line: two settlement lines joined by CR are both read and matched")
    func bareCarriageReturn() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let (first, second) = (UUID(), UUID())
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            try await ReconcileFixtures.insert(
                [.init(id: first, minor: 1_000), .init(id: second, minor: 2_000)], into: database)
            var body = Self.line(first)
            body[body.count - 1] = 0x0D  // the line ends in a bare CR
            body += Self.line(second, reference: Self.bytes("pr_2"), amount: "20.00")
            let file = try Self.file(Self.bytes(Self.header) + body)
            let result = try await CLI.run(
                ["reconcile", "refunds", "--settlement", file, "--format", "json"], database: settings)
            #expect(result.code == 0, "\(result.text)")
            let summary = try #require(try CLI.json(result.output)["summary"] as? [String: Int])
            #expect(summary["matched"] == 2, "\(result.output)")
            #expect(summary.filter { $0.key != "matched" }.values.allSatisfy { $0 == 0 }, "\(result.output)")
        }
    }

    @Test("a manifest: a bare CR keeps both lines, an extra field and a NUL are refused with their position")
    func manifest() async throws {
        let settings = try await TestDatabase.makeDatabase()
        try await Database.with(settings, logger: TestDatabase.logger) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            let acme = try await ReconcileFixtures.partner("acme", in: database)
            let id = try await engine.makeReturn()
            try await engine.drive(id, untilReceived)
            try await ReconcileFixtures.assign(id, to: acme, in: database)
            let before = try await ReconcileFixtures.tableCounts(database)
            let key = id.uuidString.lowercased()
            let shoe = "\(key),SHOE-42,1,,,\(Self.stamp),,"
            let socks = "\(key),SOCK-3P,2,,,\(Self.stamp),,"
            func reconcile(_ bytes: [UInt8]) async throws -> (CLI.Result, String) {
                let file = try Self.file(Self.bytes(Self.manifestHeader) + bytes)
                return (
                    try await CLI.run(
                        ["reconcile", "partner", "--partner", "acme", "--manifest", file, "--format", "json"],
                        database: settings, environment: ["RETURNS_HOME": try ReconcileFixtures.home()]),
                    file
                )
            }

            let (joined, _) = try await reconcile(Self.bytes(shoe + "\r" + socks + "\n"))
            #expect(joined.code == 0, "\(joined.text)")
            let summary = try #require(try CLI.json(joined.output)["summary"] as? [String: Int])
            #expect(summary["matched"] == 2, "\(joined.output)")

            let (extra, extraFile) = try await reconcile(Self.bytes(shoe + ",DHL\n" + socks + "\n"))
            #expect(extra.code == 2, "\(extra.text)")
            #expect(extra.errors.contains("\(extraFile):2:9: this line has 9 fields, but the header names 8"))

            let (nul, nulFile) = try await reconcile(Self.bytes(shoe + "torn") + [0] + Self.bytes("\n"))
            #expect(nul.code == 2, "\(nul.text)")
            #expect(nul.errors.contains("\(nulFile):2:8: the field holds a NUL byte"), "\(nul.errors)")
            #expect(try await ReconcileFixtures.tableCounts(database) == before)
        }
    }
}
