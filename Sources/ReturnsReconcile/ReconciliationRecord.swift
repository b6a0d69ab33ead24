import Foundation

/// The outcome of the last `reconcile partner` run for a partner, kept as a small JSON file in the operator's
/// returns home, not in the database: reconciling must never write to the database, and a scorecard only needs the
/// latest figures.
public struct ReconciliationRecord: Codable, Sendable, Hashable {
    public var partner: String
    public var file: String
    public var at: Date
    public var lines: Int
    public var matched: Int
    public var discrepancies: Int
    public var counts: [String: Int]

    /// Discrepancies per manifest line, 0 to 1 or more (a line can disagree in several ways).
    public var rate: Double { lines == 0 ? 0 : Double(discrepancies) / Double(lines) }

    public init(partner: String, file: String, at: Date, summary: ReconcileSummary) {
        self.partner = partner
        self.file = file
        self.at = at
        lines = summary.lines
        matched = summary.matched
        discrepancies = summary.discrepancies
        counts = Dictionary(uniqueKeysWithValues: summary.counts.map { ($0.kind, $0.count) })
    }

    static func path(partner: String, home: String) -> URL {
        let safe = partner.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : "_" }.joined()
        return URL(fileURLWithPath: home).appendingPathComponent("reconciliations")
            .appendingPathComponent("partner-\(safe).json")
    }

    public func save(home: String) throws {
        let url = Self.path(partner: partner, home: home)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    public static func load(partner: String, home: String) -> ReconciliationRecord? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? Data(contentsOf: path(partner: partner, home: home))).flatMap {
            try? decoder.decode(ReconciliationRecord.self, from: $0)
        }
    }
}
