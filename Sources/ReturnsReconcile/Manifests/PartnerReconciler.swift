import Foundation
import ReturnsStore

/// Compares a logistics partner's manifest with what the engine recorded for returns assigned to that partner.
/// Runs like `RefundReconciler`: COPY into a temporary table, match in SQL, read-only, rolled back.
public struct PartnerReconciler: Sendable {
    public static let kinds = [
        "matched", "missing_in_engine", "missing_in_manifest", "quantity_mismatch", "grade_mismatch",
        "disposition_mismatch", "state_mismatch", "duplicate_line", "sla_breach",
    ]

    public var file: String
    public var partner: String
    public var rules: InspectionRules
    /// Engine receipts and inspections in [from, to) are expected in the manifest; nil leaves that end open.
    public var from: Date?
    public var to: Date?

    public init(file: String, partner: String, rules: InspectionRules, from: Date? = nil, to: Date? = nil) {
        self.file = file
        self.partner = partner
        self.rules = rules
        self.from = from
        self.to = to
    }

    public func run(
        in database: Database, report: ReportWriter, warn: (String) -> Void = { _ in },
        progress: ((Int) -> Void)? = nil
    ) async throws -> ReconcileSummary {
        let reader = try ManifestReader(path: file)
        warnOfIgnoredColumns(reader.ignoredColumns, in: file, warn: warn)
        return try await database.reconcileRun { [self] run in
            let partnerID = try await run.partner(named: partner).id
            try await run.loadManifest { row in
                guard let line = try reader.next() else { return false }
                row.integer(line.line)
                row.text(line.returnKey)
                if let id = line.returnID { row.text(id.uuidString.lowercased()) } else { row.null() }
                row.text(line.sku)
                row.integer(line.quantity)
                if let grade = line.grade { row.text(grade.rawValue) } else { row.null() }
                if let disposition = line.disposition { row.text(disposition.rawValue) } else { row.null() }
                row.text(line.receivedAt)
                if let inspected = line.inspectedAt { row.text(inspected) } else { row.null() }
                row.endRow()
                if let progress, reader.lines % 4096 == 0 { progress(reader.bytesRead) }
                return true
            }
            let matched = try await run.judge(
                ManifestMatching(rules.inspections(of: partnerID, from: from, to: to)))
            let counts = ReconcileSummary.counts(of: Self.kinds, matched: matched, found: try await run.counts())
            let summary = ReconcileSummary(counts: counts, lines: reader.lines)
            report.begin(summary)
            try await run.results { report.write(Discrepancy($0, keyName: "return_id")) }
            report.end()
            return summary
        }
    }
}
