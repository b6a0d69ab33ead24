import Foundation
import ReturnsCore
import ReturnsEngine

/// The customer's status page: plain HTML and inline CSS, readable on a phone, no JavaScript. Cancelling is a
/// form that posts back to the page.
enum StatusPage {
    static func render(_ status: CustomerStatus, token: String) -> String {
        let labels = status.labels
        func label(_ key: String) -> String { escape(labels[key] ?? key) }
        let day = dateFormatter(status.locale, time: false)
        let moment = dateFormatter(status.locale, time: true)
        var body = """
            <h1>\(label("title"))</h1>
            <p class="order">\(label("order")) \(escape(status.orderRef))</p>
            <section class="now"><h2>\(label("status"))</h2><p>\(escape(status.description))</p></section>
            """
        if let next = status.nextStep {
            let due =
                status.expectedBy.map {
                    " <span class=\"due\">(\(label("expected_by")) \(time($0, day, precise: false)))</span>"
                } ?? ""
            body += "\n<section><h2>\(label("next_step"))</h2><p>\(escape(next))\(due)</p></section>"
        }
        if !status.lines.isEmpty {
            body += "\n<section><h2>\(label("items"))</h2><ul class=\"items\">"
            for line in status.lines {
                let settled =
                    line.resolution == "exchange"
                    ? "\(label("resolution_exchange")) \(escape(line.exchangeSKU ?? ""))" : label("resolution_\(line.resolution)")
                body += "\n<li>\(escape(line.sku)) × \(line.quantity) · \(settled)</li>"
            }
            body += "\n</ul></section>"
        }
        if let credit = status.credit {
            body += "\n<section><h2>\(label("credit"))</h2><p class=\"amount\">\(escape(credit.amount)) \(escape(credit.currency))</p></section>"
        }
        if let refund = status.refund {
            let state = refund.status == "sent" ? label("refund_sent") : label("refund_pending")
            body += "\n<section><h2>\(label("refund"))</h2><p class=\"amount\">\(escape(refund.amount)) \(escape(refund.currency)) · \(state)</p></section>"
        }
        body += "\n<section><h2>\(label("history"))</h2><ol class=\"timeline\">"
        for entry in status.timeline.reversed() {
            body += "\n<li>\(time(entry.at, moment, precise: true)) \(escape(entry.description))</li>"
        }
        body += "\n</ol></section>"
        if status.canCancel {
            body += """

                <form method="post" action="/status/\(escape(token))/cancel"><button type="submit">\(label("cancel"))</button></form>
                """
        }
        return document(locale: status.locale, title: label("title"), body: body)
    }

    static func notFound(locale: String, labels: [String: String]) -> String {
        let title = escape(labels["not_found_title"] ?? "Return not found")
        let text = escape(labels["not_found_text"] ?? "")
        return document(locale: locale, title: title, body: "<h1>\(title)</h1>\n<p>\(text)</p>")
    }

    static func document(locale: String, title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="\(escape(locale))">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.5;color:#222}
        h1{font-size:1.5rem}h2{font-size:1rem;margin:1.25rem 0 .25rem;color:#555}
        .now p{font-size:1.15rem}.amount{font-weight:600}.order,.due,time{color:#666}
        ol.timeline,ul.items{padding-left:1.2rem}li{margin:.3rem 0}li time{display:block;font-size:.85rem}
        button{font-size:1rem;padding:.6rem 1rem;border-radius:.4rem;border:1px solid #a33;background:#fff;color:#a33}
        </style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// A `<time>` element: the moment machine-readable in `datetime` (RFC 3339 in UTC, or the day alone), the
    /// locale's wording as its text.
    static func time(_ date: Date, _ formatter: DateFormatter, precise: Bool) -> String {
        let machine = precise ? date.formatted(.iso8601) : date.formatted(.iso8601.year().month().day())
        return "<time datetime=\"\(machine)\">\(escape(formatter.string(from: date)))</time>"
    }

    static func dateFormatter(_ locale: String, time: Bool) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: locale)
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateStyle = .medium
        formatter.timeStyle = time ? .short : .none
        return formatter
    }

    /// The first language of an Accept-Language header, for pages that have no return to take a locale from.
    static func preferredLocale(_ header: String?) -> String {
        let first = header?.split(separator: ",").first?.split(separator: ";").first
        return first.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 } ?? "en"
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }
}
