import Foundation
import ReturnsCore

/// Reads a file of orders of record, whole, before anything is written: CSV (one row per order line, the order's
/// own columns repeated on each of its rows, columns in any order) or JSON Lines (one order object per line, its
/// lines in `lines`). Every problem is collected with its FILE:LINE:COLUMN, up to `maximumProblems`.
public struct OrderFileReader {
    public enum Format: String, Sendable, CaseIterable {
        case csv, jsonl

        /// The format a file's name suggests (`.jsonl` or `.ndjson`, else CSV).
        public static func guess(path: String) -> Format {
            let lower = path.lowercased()
            return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") ? .jsonl : .csv
        }
    }

    public static let maximumProblems = 50

    public let path: String
    public let format: Format
    /// Called with the bytes read so far, now and then, for a progress line.
    public var progress: ((Int) -> Void)?

    public init(path: String, format: Format) {
        self.path = path
        self.format = format
    }

    /// The orders of the file, in the order they first appear; or every problem found.
    public func read() throws(ReconcileError) -> [Order] {
        switch format {
        case .csv: return try readCSV()
        case .jsonl: return try readJSONLines()
        }
    }

    // MARK: - CSV

    /// The header's columns by name: each one known, none twice, every required one there.
    static func columns(of csv: CSVReader, known: [String], required: [String], what: String) throws(ReconcileError)
        -> [String: Int]
    {
        var index: [String: Int] = [:]
        for column in 0..<csv.count {
            let name = csv.string(column).trimmed.lowercased()
            guard known.contains(name) else {
                throw .badRow(
                    file: csv.file, line: csv.line, column: column + 1,
                    reason: "unknown column '\(name)'; the columns are \(known.joined(separator: ", "))")
            }
            guard index[name] == nil else {
                throw .badRow(file: csv.file, line: csv.line, column: column + 1, reason: "column '\(name)' appears twice")
            }
            index[name] = column
        }
        for name in required where index[name] == nil {
            throw .badRow(
                file: csv.file, line: csv.line, column: csv.count + 1,
                reason: "missing required column '\(name)'; \(what) needs \(required.joined(separator: ", "))")
        }
        return index
    }

    /// The row's fields by column name, trimmed, empty ones left out; refused when the row has another number of
    /// fields than the header's `columns`, or a field is not UTF-8.
    static func texts(of csv: CSVReader, index: [String: Int], columns: Int) throws(ReconcileError) -> [String: String] {
        guard csv.count == columns else {
            throw .badRow(
                file: csv.file, line: csv.line, column: min(csv.count, columns) + 1,
                reason: "\(csv.count) fields where the header has \(columns); quote a field that holds a comma")
        }
        var texts: [String: String] = [:]
        for (name, column) in index {
            guard let text = String(validating: csv.bytes[csv.range(column)], as: UTF8.self) else {
                throw .badRow(
                    file: csv.file, line: csv.line, column: column + 1, reason: "\(name) is not valid UTF-8; save the file as UTF-8")
            }
            let trimmed = text.trimmed
            if !trimmed.isEmpty { texts[name] = trimmed }
        }
        return texts
    }

    static let required = ["order_ref", "customer_email", "ordered_at", "currency", "line_id", "sku", "quantity", "unit_price"]

    private func readCSV() throws(ReconcileError) -> [Order] {
        let csv = try CSVReader(path: path)
        guard try csv.next() else {
            throw .badRow(file: csv.file, line: 1, column: 1, reason: "the file is empty; expected a header line")
        }
        let index = try Self.columns(
            of: csv, known: OrderFields.orderNames + OrderFields.lineNames, required: Self.required, what: "an orders file")
        let columns = csv.count
        var orders: [String: (order: Order, line: Int)] = [:]
        var sequence: [String] = []
        var problems: [ReconcileError] = []
        var rows = 0
        while problems.count < Self.maximumProblems, try csv.next() {
            rows += 1
            if rows % 10_000 == 0 { progress?(csv.bytesRead) }
            let line = csv.line
            let fail = { (field: String, reason: String) in
                ReconcileError.badRow(file: csv.file, line: line, column: (index[field] ?? 0) + 1, reason: reason)
            }
            let texts: [String: String]
            do { texts = try Self.texts(of: csv, index: index, columns: columns) } catch {
                problems.append(error)
                continue
            }
            do {
                let header = try OrderFields.order { texts[$0] }
                if let (existing, first) = orders[header.ref] {
                    var same = existing
                    same.lines = []
                    guard same == header else {
                        problems.append(
                            fail(
                                Self.differingField(header, same) ?? "order_ref",
                                "order \(header.ref) is described differently than on line \(first); its own columns must be the same on each of its rows"))
                        continue
                    }
                }
                let orderLine = try OrderFields.line({ texts[$0] }, currency: header.currency)
                if let earlier = orders[header.ref]?.order.lines.first(where: { $0.lineID == orderLine.lineID }) {
                    problems.append(
                        fail("line_id", "line '\(earlier.lineID)' of order \(header.ref) appears twice; give each line once"))
                    continue
                }
                if orders[header.ref] == nil {
                    orders[header.ref] = (header, line)
                    sequence.append(header.ref)
                }
                orders[header.ref]!.order.lines.append(orderLine)
            } catch {
                problems.append(fail(error.field, error.message))
            }
        }
        var result: [Order] = []
        for ref in sequence {
            let (order, line) = orders[ref]!
            do { try OrderFields.complete(order) } catch {
                problems.append(
                    .badRow(file: csv.file, line: line, column: (index[error.field] ?? 0) + 1, reason: error.description))
            }
            result.append(order)
        }
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw .many(problems) }
        return result
    }

    /// The first order-level field in which two rows of one order differ.
    static func differingField(_ one: Order, _ other: Order) -> String? {
        if one.customerEmail != other.customerEmail { return "customer_email" }
        if one.postalCode != other.postalCode { return "postal_code" }
        if one.customerID != other.customerID { return "customer_id" }
        if one.orderedAt != other.orderedAt { return "ordered_at" }
        if one.deliveredAt != other.deliveredAt { return "delivered_at" }
        if one.currency != other.currency { return "currency" }
        if one.region != other.region { return "region" }
        return nil
    }

    // MARK: - JSON Lines

    private func readJSONLines() throws(ReconcileError) -> [Order] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(file: path, reason: "cannot read the file (\(error.localizedDescription)); check the path")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var orders: [Order] = []
        var lines: [String: Int] = [:]
        var problems: [ReconcileError] = []
        var number = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            if number % 10_000 == 0 { progress?(orders.count) }
            guard problems.count < Self.maximumProblems else { break }
            var slice = raw
            if slice.last == 0x0D { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let fail = { (reason: String) in ReconcileError.badRow(file: path, line: number, column: 1, reason: reason) }
            guard String(validating: slice, as: UTF8.self) != nil else {
                problems.append(fail("the line is not valid UTF-8; save the file as UTF-8"))
                continue
            }
            let value: JSONValue
            do { value = try JSONDecoder().decode(JSONValue.self, from: Data(slice)) } catch {
                problems.append(fail("the line is not one JSON object: \(error.localizedDescription)"))
                continue
            }
            guard case .object(let fields) = value else {
                problems.append(fail("the line must be one JSON object, like {\"order_ref\": \"A-1001\", ...}"))
                continue
            }
            do {
                let order = try OrderFields.order(json: fields)
                if let first = lines[order.ref] {
                    problems.append(fail("order \(order.ref) is on line \(first) already; give each order once"))
                    continue
                }
                lines[order.ref] = number
                orders.append(order)
            } catch {
                problems.append(fail(error.description))
            }
        }
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw .many(problems) }
        return orders
    }
}
