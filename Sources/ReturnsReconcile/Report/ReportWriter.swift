import Foundation
import ReturnsCore

/// Writes a reconciliation as it is produced: the summary first, then one discrepancy at a time, so a million
/// discrepancies never sit in memory.
public final class ReportWriter {
    public enum Format: String, Sendable, CaseIterable {
        case table, csv, json
    }

    let format: Format
    let handle: FileHandle
    private var pending = Data()
    private var written = 0

    public init(format: Format, handle: FileHandle) {
        self.format = format
        self.handle = handle
    }

    private func emit(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { flush() }
    }

    private func flush() {
        handle.write(pending)
        pending.removeAll(keepingCapacity: true)
    }

    public func begin(_ summary: ReconcileSummary) {
        switch format {
        case .table:
            let width = max(summary.counts.map(\.kind.count).max() ?? 0, 8)
            for (kind, count) in summary.counts {
                emit(kind.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(count)\n")
            }
            if summary.skipped > 0 {
                emit(
                    "skipped".padding(toLength: width, withPad: " ", startingAt: 0)
                        + "  \(summary.skipped) (not refund lines)\n")
            }
            if !summary.totals.isEmpty {
                emit("\ncurrency  engine  settlement  difference\n")
                for total in summary.totals {
                    emit(
                        "\(total.currency)  \(Self.amount(total.engineMinor, total.currency))  "
                            + "\(Self.amount(total.settlementMinor, total.currency))  "
                            + "\(Self.amount(total.differenceMinor, total.currency))\n")
                }
            }
            if summary.discrepancies > 0 {
                emit("\nkind                    line      key                                   expected -> actual\n")
            }
        case .csv:
            emit("kind,key_name,key,line,expected,actual\n")
        case .json:
            var head = "{\n  \"summary\": {"
            head += summary.counts.map { "\(Self.quote($0.kind)): \($0.count)" }.joined(separator: ", ")
            head += "},\n  \"skipped\": \(summary.skipped),\n  \"totals\": ["
            head += summary.totals.map { total in
                "{\"currency\": \(Self.quote(total.currency)), "
                    + "\"engine\": \(Self.quote(Self.amount(total.engineMinor, total.currency))), "
                    + "\"settlement\": \(Self.quote(Self.amount(total.settlementMinor, total.currency))), "
                    + "\"difference\": \(Self.quote(Self.amount(total.differenceMinor, total.currency)))}"
            }.joined(separator: ", ")
            head += "],\n  \"discrepancies\": ["
            emit(head)
        }
    }

    public func write(_ item: Discrepancy) {
        switch format {
        case .table:
            let line = item.line.map(String.init) ?? "-"
            emit(
                item.kind.padding(toLength: 22, withPad: " ", startingAt: 0) + "  "
                    + line.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
                    + item.key.padding(toLength: 36, withPad: " ", startingAt: 0) + "  "
                    + "\(item.expected ?? "-") -> \(item.actual ?? "-")\n")
        case .csv:
            emit(
                // The key, expected and actual values come from the file or the records: neutralised as text.
                [
                    CSVField.quoted(item.kind), CSVField.quoted(item.keyName), CSVField.text(item.key),
                    item.line.map(String.init) ?? "", CSVField.text(item.expected ?? ""),
                    CSVField.text(item.actual ?? ""),
                ]
                .joined(separator: ",") + "\n")
        case .json:
            var object = written == 0 ? "\n    {" : ",\n    {"
            object += "\"kind\": \(Self.quote(item.kind)), \(Self.quote(item.keyName)): \(Self.quote(item.key)), "
            object += "\"line\": \(item.line.map(String.init) ?? "null"), "
            object += "\"expected\": \(item.expected.map(Self.quote) ?? "null"), "
            object += "\"actual\": \(item.actual.map(Self.quote) ?? "null")}"
            emit(object)
        }
        written += 1
    }

    public func end() {
        if format == .json { emit(written == 0 ? "]\n}\n" : "\n  ]\n}\n") }
        flush()
    }

    static func amount(_ minor: Int64, _ currency: String) -> String {
        Money.decimalString(minorUnits: minor, currencyCode: currency)
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
