import Foundation
import ReturnsCore

/// Reads a CSV file of catalog variants, whole, before anything is written: one row per variant, columns in any
/// order (`CatalogFields.names`). Every problem is collected with its FILE:LINE:COLUMN, up to 50.
public struct CatalogFileReader {
    public let path: String

    public init(path: String) { self.path = path }

    static let required = ["sku", "product_id", "price", "currency", "on_hand"]

    public func read() throws(ReconcileError) -> [CatalogVariant] {
        let csv = try CSVReader(path: path)
        guard try csv.next() else {
            throw .badRow(file: csv.file, line: 1, column: 1, reason: "the file is empty; expected a header line")
        }
        let index = try OrderFileReader.columns(
            of: csv, known: CatalogFields.names, required: Self.required, what: "a catalog file")
        let columns = csv.count
        var variants: [CatalogVariant] = []
        var lines: [String: Int] = [:]
        var problems: [ReconcileError] = []
        while problems.count < OrderFileReader.maximumProblems, try csv.next() {
            let line = csv.line
            let fail = { (field: String, reason: String) in
                ReconcileError.badRow(file: csv.file, line: line, column: (index[field] ?? 0) + 1, reason: reason)
            }
            let texts: [String: String]
            do { texts = try OrderFileReader.texts(of: csv, index: index, columns: columns) } catch {
                problems.append(error)
                continue
            }
            do {
                let variant = try CatalogFields.variant { texts[$0] }
                if let first = lines[variant.sku] {
                    problems.append(fail("sku", "\(variant.sku) appears on line \(first) too; give each variant once"))
                    continue
                }
                lines[variant.sku] = line
                variants.append(variant)
            } catch {
                problems.append(fail(error.field, error.message))
            }
        }
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw .many(problems) }
        return variants
    }
}
