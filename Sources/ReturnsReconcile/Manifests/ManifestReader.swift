import Foundation
import ReturnsCore

/// Reads a partner's manifest: one line per returned SKU with what the partner received and found.
///
/// Required columns (any order): return_id, sku, quantity_received, grade, disposition, received_at, inspected_at;
/// optional: partner_reference, notes. grade, disposition and inspected_at may be empty for an item not inspected
/// yet, but only all three together.
final class ManifestReader {
    static let required = [
        "return_id", "sku", "quantity_received", "grade", "disposition", "received_at", "inspected_at",
    ]
    static let optional = ["partner_reference", "notes"]

    let csv: CSVReader
    private var parser: FieldParser
    private var index: [String: Int] = [:]
    private(set) var lines = 0
    private(set) var ignoredColumns: [String] = []
    /// How many columns the header names.
    private(set) var headerWidth = 0

    init(path: String, name: String? = nil) throws(ReconcileError) {
        csv = try CSVReader(path: path, name: name)
        parser = FieldParser(reader: csv)
        guard try csv.next() else {
            throw .badRow(file: csv.file, line: 1, column: 1, reason: "the file is empty; expected a header line")
        }
        headerWidth = csv.count
        for column in 0..<csv.count {
            let name = csv.string(column).trimmed.lowercased()
            if index[name] == nil { index[name] = column }
        }
        for name in Self.required where index[name] == nil {
            throw .badRow(
                file: csv.file, line: csv.line, column: csv.count + 1,
                reason: "missing required column '\(name)'; a manifest needs \(Self.required.joined(separator: ", "))")
        }
        let known = Set(Self.required + Self.optional)
        ignoredColumns = (0..<csv.count).map { csv.string($0) }.filter { !known.contains($0.trimmed.lowercased()) }
    }

    var bytesRead: Int { csv.bytesRead }

    /// One checked manifest line.
    struct Line: Sendable, Hashable {
        var line: Int
        var returnKey: String
        var returnID: UUID?
        var sku: String
        var quantity: Int
        var grade: Grade?
        var disposition: Disposition?
        var receivedAt: String
        var inspectedAt: String?
        var reference: String?
        var notes: String?
    }

    /// The 1-based column number of a named column.
    func column(_ name: String) -> Int? { index[name].map { $0 + 1 } }

    /// Reads and checks the next line; nil at the end of the file.
    func next() throws(ReconcileError) -> Line? {
        guard try csv.next() else { return nil }
        lines += 1
        let returnColumn = index["return_id"]!
        let returnKey = parser.text(returnColumn).lowercased()
        guard !returnKey.isEmpty else { throw parser.fail(returnColumn, "return_id is empty; give the return's id") }
        let skuColumn = index["sku"]!
        let sku = parser.text(skuColumn)
        guard !sku.isEmpty else { throw parser.fail(skuColumn, "sku is empty; give the item's SKU") }
        let quantity = try parser.quantity(index["quantity_received"]!, name: "quantity_received")
        let receivedColumn = index["received_at"]!
        guard !parser.isEmpty(receivedColumn) else {
            throw parser.fail(
                receivedColumn, "received_at is empty; give when the parcel arrived, like 2025-11-03T14:05:00Z")
        }
        _ = try parser.timestamp(receivedColumn, name: "received_at")
        let gradeColumn = index["grade"]!
        let dispositionColumn = index["disposition"]!
        let inspectedColumn = index["inspected_at"]!
        var grade: Grade?
        if !parser.isEmpty(gradeColumn) {
            guard let found = Grade(rawValue: parser.text(gradeColumn)) else {
                throw parser.fail(
                    gradeColumn,
                    "grade '\(parser.text(gradeColumn))' is not one of \(Grade.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            grade = found
        }
        var disposition: Disposition?
        if !parser.isEmpty(dispositionColumn) {
            guard let found = Disposition(rawValue: parser.text(dispositionColumn)) else {
                throw parser.fail(
                    dispositionColumn,
                    "disposition '\(parser.text(dispositionColumn))' is not one of "
                        + Disposition.allCases.map(\.rawValue).joined(separator: ", "))
            }
            disposition = found
        }
        var inspectedAt: String?
        if !parser.isEmpty(inspectedColumn) {
            _ = try parser.timestamp(inspectedColumn, name: "inspected_at")
            inspectedAt = parser.text(inspectedColumn)
        }
        let inspectedFields = [grade != nil, disposition != nil, inspectedAt != nil]
        if inspectedFields.contains(true) && inspectedFields.contains(false) {
            let missing = [
                (gradeColumn, "grade"), (dispositionColumn, "disposition"), (inspectedColumn, "inspected_at"),
            ]
            .first { parser.isEmpty($0.0) }!
            throw parser.fail(
                missing.0,
                "\(missing.1) is empty while the line has other inspection results; give grade, disposition and "
                    + "inspected_at together, or none of them for an item not inspected yet")
        }
        let reference = index["partner_reference"].map { parser.text($0) }
        let notes = index["notes"].map { parser.text($0) }
        return Line(
            line: csv.line, returnKey: returnKey, returnID: UUID(uuidString: returnKey), sku: sku, quantity: quantity,
            grade: grade, disposition: disposition, receivedAt: parser.text(receivedColumn), inspectedAt: inspectedAt,
            reference: reference?.isEmpty == true ? nil : reference, notes: notes)
    }
}
