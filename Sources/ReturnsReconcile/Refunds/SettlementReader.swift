import Foundation
import ReturnsCore
import ReturnsStore

/// Reads a settlement file with a layout and writes each refund line, checked, as a COPY row for the
/// `settlement_lines` temporary table.
final class SettlementReader {
    let csv: CSVReader
    let layout: SettlementLayout
    private var parser: FieldParser
    /// Per field, the columns found for it, in preference order; a row's value is the first non-empty one.
    private var index: [SettlementLayout.Field: [Int]] = [:]
    /// Rows of other kinds in a processor's export (payments, fees), skipped.
    private(set) var skipped = 0
    private(set) var lines = 0
    /// Per currency, the sum of the amounts read so far, to refuse a file whose totals would not fit 64 bits.
    private var totals: [String: Int64] = [:]
    /// Header columns nobody reads (our format only; processors' exports have many by design).
    private(set) var ignoredColumns: [String] = []

    init(path: String, name: String? = nil, layout: SettlementLayout) throws(ReconcileError) {
        csv = try CSVReader(path: path, name: name)
        self.layout = layout
        parser = FieldParser(reader: csv)
        guard try csv.next() else {
            throw .badRow(file: csv.file, line: 1, column: 1, reason: "the file is empty; expected a header line")
        }
        var header: [String: Int] = [:]
        for column in 0..<csv.count where header[csv.string(column).trimmed] == nil {
            header[csv.string(column).trimmed] = column
        }
        for field in SettlementLayout.Field.allCases {
            let names = layout.columns[field] ?? []
            let found = names.compactMap { header[$0] }
            guard !found.isEmpty else {
                let preset = layout.preset == .standard ? "" : " (--preset \(layout.preset.rawValue))"
                throw .badRow(
                    file: csv.file, line: csv.line, column: csv.count + 1,
                    reason:
                        "missing required column '\(names.first ?? field.rawValue)'\(preset) for \(field.rawValue); "
                        + "the header has: \((0..<csv.count).map { csv.string($0) }.joined(separator: ", "))")
            }
            index[field] = found
        }
        if layout.preset == .standard || layout.preset == .giftCards {
            let used = Set(index.values.joined())
            ignoredColumns = (0..<csv.count).filter { !used.contains($0) }.map { csv.string($0) }
        }
    }

    var bytesRead: Int { csv.bytesRead }

    /// The column holding `field` on this row: the first of its candidates that is not empty.
    private func column(_ field: SettlementLayout.Field) -> Int {
        let candidates = index[field]!
        if candidates.count == 1 { return candidates[0] }
        return candidates.first { !parser.isEmpty($0) } ?? candidates[0]
    }

    /// Reads the next refund line into `row`; false at the end of the file.
    func next(into row: inout CopyText) throws(ReconcileError) -> Bool {
        while try csv.next() {
            let statusColumn = column(.status)
            let status: SettlementStatus
            switch layout.reading(status: parser.text(statusColumn)) {
            case .status(let found): status = found
            case .skip:
                skipped += 1
                continue
            case .unknown:
                throw parser.fail(
                    statusColumn, "status '\(parser.text(statusColumn))' is not one of \(layout.statusWords)")
            }
            lines += 1
            let currency = try parser.currency(column(.currency), name: "currency")
            var amount = try parser.amount(column(.amount), name: "amount", currency: currency)
            // Processors sign refunds as money leaving the account (Stripe: negative gross); we compare magnitudes.
            if layout.preset != .standard && layout.preset != .giftCards { amount = abs(amount) }
            // Every total the run computes (per currency and status, in SQL) is a bigint: refuse here, at the line
            // and column, a file whose amounts add up past 64 bits, rather than have the database refuse the sum.
            let (total, overflow) = (totals[currency.code] ?? 0).addingReportingOverflow(Int64(amount.magnitude))
            guard !overflow else {
                throw parser.fail(
                    column(.amount),
                    "amount: the \(currency.code) amounts up to this line add up to more than "
                        + "\(Int64.max) minor units, more than a 64-bit total holds; split the file")
            }
            totals[currency.code] = total
            let settledAt = try parser.timestamp(column(.settledAt), name: "settled_at")
            let refund = parser.trimmed(column(.refundID))

            row.integer(csv.line)
            row.bytes(csv.bytes, refund, lowercased: true)
            if parser.isUUID(refund) { row.bytes(csv.bytes, refund, lowercased: true) } else { row.null() }
            row.bytes(csv.bytes, parser.trimmed(column(.reference)))
            row.integer(amount)
            row.text(currency.code)
            row.text(status.rawValue)
            row.bytes(csv.bytes, settledAt)
            row.endRow()
            return true
        }
        return false
    }
}
