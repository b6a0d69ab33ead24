import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// The console's figures: charts drawn as SVG on the server, each with its numbers in a table beside it, and the
/// whole as CSV (`?format=csv`).
enum ConsoleFigurePage {
    static func render(
        _ figures: ConsoleFigures, rates: [ResponseRateRow], retained: [RetainedRevenueRow], member: StaffMember, token: String
    ) -> String {
        let e = ConsolePages.e
        var days: [String: Int] = [:]
        for row in figures.perDay { days[row.day, default: 0] += row.count }
        let perDay = days.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        func hours(_ value: Double?) -> String { value.map { String(format: "%.1f h", $0) } ?? "–" }
        var body = """
            <h1>Figures</h1>
            <p><a href="/console/figures?format=csv" download>Download these figures as CSV</a></p>
            <section class="figure"><h2>Returns made per day, last 14 days</h2>
            \(bars(perDay, label: "Returns made per day"))
            <table><thead><tr><th scope="col">Day</th><th scope="col">State now</th><th scope="col">Returns</th></tr></thead><tbody>
            \(figures.perDay.map { "<tr><td>\($0.day)</td><td>\(e($0.state))</td><td>\($0.count)</td></tr>" }.joined())
            </tbody></table></section>
            <section class="figure"><h2>Reasons</h2>
            \(bars(figures.reasons.map { ($0.reason, $0.count) }, label: "Returned lines per reason"))
            <table><thead><tr><th scope="col">Reason</th><th scope="col">Lines</th></tr></thead><tbody>
            \(figures.reasons.map { "<tr><td>\(e($0.reason))</td><td>\($0.count)</td></tr>" }.joined())
            </tbody></table></section>
            <section class="figure"><h2>Refund latency and automation</h2>
            <table><tbody>
            <tr><th scope="row">Request to refund, median</th><td>\(hours(figures.refundLatencyP50Hours))</td></tr>
            <tr><th scope="row">Request to refund, 95th percentile</th><td>\(hours(figures.refundLatencyP95Hours))</td></tr>
            <tr><th scope="row">Finished without any staff action</th><td>\(figures.automationRate.map { String(format: "%.1f%%", $0 * 100) } ?? "–") \
            (\(figures.automated) of \(figures.ended))</td></tr>
            </tbody></table></section>
            """
        let percent = { (share: Double?) in share.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        let onTime = figures.inspections.compactMap { row in row.onTime.map { (row.partner, Int(($0 * 100).rounded())) } }
        body += """
            <section class="figure"><h2>Inspection SLA per partner, returns of the last 14 days</h2>
            \(bars(onTime, label: "Received returns that never missed the inspection SLA, in percent", top: 100))
            \(ConsolePages.table(
                nil, header: ["Partner", "Received", "Inspected", "Missed the SLA", "Within the SLA", "Receipt to inspection, median"],
                rows: figures.inspections.map {
                    ["\(e($0.partner))", "\($0.received)", "\($0.inspected)", "\($0.overdue)", percent($0.onTime), hours($0.medianHours)]
                }))
            </section>
            """
        let partners = rates.filter { $0.dimension == "partner" || $0.dimension == "reason" }
        body += """
            <section class="figure"><h2>Negative response rate (NRR), last 30 days</h2>
            \(bars(partners.map { ("\($0.dimension): \($0.value)", Int(($0.rate * 100).rounded())) }, label: "NRR in percent", top: 100))
            <table><thead><tr><th scope="col">By</th><th scope="col">Value</th><th scope="col">Answers</th><th scope="col">No</th>\
            <th scope="col">NRR</th></tr></thead><tbody>
            \(rates.map { "<tr><td>\(e($0.dimension))</td><td>\(e($0.value))</td><td>\($0.answers)</td><td>\($0.negative)</td><td>\(String(format: "%.1f%%", $0.rate * 100))</td></tr>" }.joined())
            </tbody></table></section>
            """
        if !retained.isEmpty {
            body += """
                <section class="figure"><h2>Retained revenue, returns of the last 30 days</h2>
                \(bars(retained.map { ("\($0.dimension == "all" ? "all" : $0.key) \($0.currency)", Int(($0.retainedShare * 100).rounded())) }, label: "Share kept as exchanges and credit, in percent", top: 100))
                <table><thead><tr><th scope="col">By</th><th scope="col">Currency</th><th scope="col">Returned</th>\
                <th scope="col">Exchanged</th><th scope="col">Credited</th><th scope="col">Kept</th></tr></thead><tbody>
                \(retained.map { row in
                    let money = { (minor: Int64) in Money.decimalString(minorUnits: minor, currencyCode: row.currency) }
                    return "<tr><td>\(e(row.dimension == "all" ? "all" : row.key))</td><td>\(row.currency)</td><td>\(money(row.totalMinor))</td>"
                        + "<td>\(money(row.exchangedMinor))</td><td>\(money(row.creditedMinor))</td><td>\(String(format: "%.1f%%", row.retainedShare * 100))</td></tr>"
                }.joined())
                </tbody></table></section>
                """
        }
        return ConsolePages.document(title: "Figures", member: member, token: token, body: body)
    }

    /// A horizontal bar chart: a bar per row, its label and value written beside it.
    /// `top` is the value a full bar stands for (100 for percentages); the largest value when nil.
    static func bars(_ rows: [(String, Int)], label: String, top: Int? = nil) -> String {
        guard !rows.isEmpty else { return "<p>No data yet.</p>" }
        let top = max(top ?? rows.map(\.1).max() ?? 1, 1)
        let height = rows.count * 22 + 4
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 600 \(height)\" role=\"img\" aria-label=\"\(HTMLText.escape(label))\">"
        for (index, row) in rows.enumerated() {
            let y = index * 22 + 2
            let width = max(1, row.1 * 380 / top)
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\" fill=\"#1a1a1a\">\(HTMLText.escape(String(row.0.prefix(28))))</text>"
                + "<rect x=\"190\" y=\"\(y + 3)\" width=\"\(width)\" height=\"16\" fill=\"#0a4fa8\"/>"
                + "<text x=\"\(196 + width)\" y=\"\(y + 15)\" font-size=\"12\" fill=\"#1a1a1a\">\(row.1)</text>"
        }
        return svg + "</svg>"
    }
}
