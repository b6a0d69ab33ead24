import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// The staff console's pages, in English: sign-in, search, one return's story with the actions its state allows
/// for the member's role, the queues and the figures. Every value is escaped; every form carries the form token.
enum ConsolePages {
    static func e(_ text: String) -> String { HTMLText.escape(text) }

    static func document(title: String, member: StaffMember?, token: String, body: String) -> String {
        var nav = ""
        if let member {
            let queues: [(StaffQueue, String)] =
                switch member.role {
                case .finance: [(.reviews, "Reviews"), (.refundsFailed, "Failed refunds")]
                case .ops:
                    [
                        (.deadNotifications, "Dead notifications"), (.followUps, "Follow-ups"), (.slaBreaches, "SLA breaches"),
                        (.exchangesWaiting, "Exchanges waiting for stock"),
                    ]
                case .partner: [(.partnerWork, "Receiving and inspection")]
                }
            nav = """
                <nav aria-label="Console"><ul class="nav"><li><a href="/console">Search</a></li>\
                \(queues.map { "<li><a href=\"/console/queues/\($0.0.rawValue)\">\($0.1)</a></li>" }.joined())\
                <li><a href="/console/figures">Figures</a></li></ul>\
                <form method="post" action="/console/sign-out">\(CustomerPage.formToken(token))\
                <span class="muted">\(e(member.email)) · \(member.role.rawValue)\(member.partnerName.map { " · \(e($0))" } ?? "")</span> \
                <button type="submit" class="secondary">Sign out</button></form></nav>
                """
        }
        return CustomerPage.frame(
            lang: "en", direction: "ltr", title: "\(title) · Returns console", skip: "Skip to content", header: nav,
            body: body, bodyClass: "console")
    }

    static func signIn(token: String, email: String, error: String?) -> String {
        let problem = error.map { "<div class=\"errors\" role=\"alert\" id=\"errors\"><p>\(e($0))</p></div>" } ?? ""
        return document(
            title: "Sign in", member: nil, token: token,
            body: """
                <h1>Sign in to the returns console</h1>
                \(problem)
                <form method="post" action="/console/sign-in">\(CustomerPage.formToken(token))
                <label for="email">Email</label>
                <input type="email" id="email" name="email" autocomplete="username" required value="\(e(email))">
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required>
                <button type="submit">Sign in</button>
                </form>
                """)
    }

    static func search(
        _ rows: [ReturnSearchRow], query: [String: String], next: String?, member: StaffMember, token: String
    ) -> String {
        func field(_ name: String, _ label: String) -> String {
            "<div><label for=\"\(name)\">\(label)</label><input type=\"text\" id=\"\(name)\" name=\"\(name)\" value=\"\(e(query[name] ?? ""))\"></div>"
        }
        let timer = query["timer"] == "1" ? " checked" : ""
        let sla = query["sla"] == "1" ? " checked" : ""
        var body = """
            <h1>Find a return</h1>
            <form method="get" action="/console" class="filters" role="search">
            \(field("q", "Order, email, return id, SKU or tracking number"))\(field("state", "State"))\(field("workflow", "Workflow"))\
            \(member.role == .partner ? "" : field("partner", "Partner"))\(field("resolution", "Resolution"))\
            \(field("idle_days", "Unchanged for (days)"))
            <label class="check" for="timer"><input type="checkbox" id="timer" name="timer" value="1"\(timer)> Waiting on a timer</label>
            <label class="check" for="sla"><input type="checkbox" id="sla" name="sla" value="1"\(sla)> Past the inspection SLA</label>
            <button type="submit">Search</button>
            </form>
            """
        if rows.isEmpty {
            body += "<p>No return matches.</p>"
        } else {
            body += """
                <table><caption>Returns, most recently changed first</caption><thead><tr><th scope="col">Return</th><th scope="col">Order</th>\
                <th scope="col">Customer</th><th scope="col">Workflow</th><th scope="col">State</th><th scope="col">Partner</th>\
                <th scope="col">Made</th></tr></thead><tbody>
                """
            for row in rows {
                let id = row.id.uuidString.lowercased()
                body += """
                    <tr><td><a href="/console/returns/\(id)">\(id.prefix(8))</a></td><td>\(e(row.orderRef))</td>\
                    <td>\(e(row.customerEmail))</td><td>\(e(row.workflow))</td><td>\(e(row.state))</td>\
                    <td>\(e(row.partner ?? "–"))</td><td>\(row.createdAt.formatted(.iso8601))</td></tr>
                    """
            }
            body += "</tbody></table>"
            if let next { body += "<p><a href=\"\(e(next))\">Older returns</a></p>" }
        }
        return document(title: "Search", member: member, token: token, body: body)
    }

    static func story(_ story: ReturnStory, member: StaffMember, token: String, key: String, notice: String?) -> String {
        let record = story.details.record
        let id = record.id.uuidString.lowercased()
        let currency = try? Currency(code: record.currency)
        func money(_ minor: Int64) -> String {
            currency.map { Money(minorUnits: minor, currency: $0).description } ?? "\(minor)"
        }
        var body = "<h1>Return \(id.prefix(8))</h1>"
        if let notice { body += "<p class=\"notice\" role=\"status\">\(e(notice))</p>" }
        body += """
            <dl class="facts"><dt>Id</dt><dd class="reference">\(id)</dd><dt>Order</dt><dd>\(e(record.orderRef))</dd>\
            <dt>Customer</dt><dd>\(e(record.customerEmail)) (\(e(record.locale)))</dd>\
            <dt>Workflow</dt><dd>\(e(record.workflowName)) v\(record.workflowVersion)</dd>\
            <dt>State</dt><dd>\(e(record.state)): \(e(story.details.stateDescription))</dd><dt>Paid</dt><dd>\(money(record.paidMinor))</dd></dl>
            """
        body += actions(story, member: member, token: token, key: key)
        body += "<h2>Items</h2><table><thead><tr><th scope=\"col\">Line</th><th scope=\"col\">SKU</th><th scope=\"col\">Qty</th>"
            + "<th scope=\"col\">Unit price</th><th scope=\"col\">Reason</th><th scope=\"col\">Resolution</th><th scope=\"col\">Received</th>"
            + "<th scope=\"col\">Grade</th><th scope=\"col\">Refunded</th></tr></thead><tbody>"
        for item in story.details.items {
            let resolution = item.settledAs + (item.exchangeSKU.map { " → \($0)" } ?? "")
            body += "<tr><td>\(item.line)</td><td>\(e(item.sku))</td><td>\(item.quantity)</td><td>\(money(item.unitPriceMinor))</td>"
                + "<td>\(e(item.reason))</td><td>\(e(resolution))</td><td>\(item.received)</td><td>\(e(item.grade ?? "–"))</td>"
                + "<td>\(item.refunded)</td></tr>"
        }
        body += "</tbody></table>"
        if let stored = story.order {
            let order = stored.order
            body += "<h2>Order \(e(order.ref))</h2><p>Ordered \(order.orderedAt.formatted(.iso8601))"
                + (order.deliveredAt.map { ", delivered \($0.formatted(.iso8601))" } ?? "") + "</p>"
            body += table(
                nil, header: ["Line", "SKU", "Item", "Ordered", "Held by returns", "Unit price", "Category"],
                rows: order.lines.map { line in
                    [
                        e(line.lineID), e(line.sku), e(line.title ?? "–"), "\(line.quantity)",
                        "\(stored.returned[line.lineID] ?? 0)", money(line.unitPriceMinor),
                        e(line.category) + (line.finalSale ? " (final sale)" : ""),
                    ]
                })
        }
        let resolutions = story.details.resolutions
        body += "<h2>Money</h2>"
        if story.details.refunds.isEmpty, resolutions.settlements.isEmpty { body += "<p>Nothing settled yet.</p>" }
        for settlement in resolutions.settlements {
            body += "<p>Settled: refund \(money(settlement.refundMinor)), credit \(money(settlement.creditMinor)) + bonus "
                + "\(money(settlement.bonusMinor)), charged \(money(settlement.chargeMinor)), label \(money(settlement.labelMinor))</p>"
        }
        body += table(
            "Charges", header: ["Line", "For", "Amount", "Status", "Provider"],
            rows: resolutions.charges.map { charge in
                [
                    "\(charge.line)", charge.kind == .instant ? "replacement authorised at request" : "price difference",
                    money(charge.amountMinor), e(charge.status), e(charge.provider),
                ]
            })
        body += table(
            "Store credit", header: ["Entry", "Amount", "Expires", "Code", "By"],
            rows: resolutions.credits.map { credit in
                [
                    e(credit.kind), money(credit.amountMinor), credit.expiresAt?.formatted(.iso8601) ?? "–",
                    e(credit.code.map { member.role == .finance ? $0 : "…" + $0.suffix(4) } ?? "–"), e(credit.actor),
                ]
            })
        body += table(
            "Replacement orders", header: ["Line", "SKU", "Units", "Unit price", "Status", "Difference", "Settled"],
            rows: resolutions.exchanges.map { exchange in
                [
                    "\(exchange.line)", e(exchange.sku), "\(exchange.quantity)", money(exchange.priceMinor),
                    e(exchange.status) + (exchange.reference.map { " (\(e($0)))" } ?? ""),
                    exchange.differenceMinor.map(money) ?? "–", e(exchange.settlement ?? "–"),
                ]
            })
        body += table(
            "Owed after review", header: ["Line", "Why", "Owed", "Status"],
            rows: resolutions.reviews.map { review in
                ["\(review.line)", e(review.kind), money(review.amountOwedMinor), e(review.status)]
            })
        if !story.details.refunds.isEmpty {
            body += "<table><caption>Refunds</caption><thead><tr><th scope=\"col\">Refund</th><th scope=\"col\">Amount</th>"
                + "<th scope=\"col\">Status</th><th scope=\"col\">Action</th></tr></thead><tbody>"
            for refund in story.details.refunds {
                var action = ""
                if refund.status == "failed", member.role == .finance {
                    action = """
                        <form method="post" action="/console/refunds/\(refund.id.uuidString.lowercased())/retry">\
                        \(CustomerPage.formToken(token))\(CustomerPage.hidden("return_id", id))<button type="submit">Retry refund</button></form>
                        """
                }
                body += "<tr><td>\(refund.id.uuidString.lowercased().prefix(8))</td><td>\(money(refund.amountMinor))</td>"
                    + "<td>\(e(refund.status))</td><td>\(action)</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "<h2>Timers</h2>"
        body += story.details.pendingTimers.isEmpty
            ? "<p>None running.</p>"
            : "<ul>" + story.details.pendingTimers.map { "<li>\(e($0.name)) fires \(e($0.event)) at \($0.dueAt.formatted(.iso8601))</li>" }.joined() + "</ul>"
        body += "<h2>History</h2><ol class=\"timeline\">"
        for entry in story.details.history {
            body += "<li><time datetime=\"\(entry.at.formatted(.iso8601))\">\(entry.at.formatted(.iso8601))</time> "
                + "\(e(entry.event)): \(e(entry.from ?? "–")) → \(e(entry.to)) <span class=\"muted\">by \(e(entry.actor))</span></li>"
        }
        body += "</ol><h2>Notifications</h2>"
        if story.notifications.isEmpty { body += "<p>None.</p>" } else {
            body += "<table><thead><tr><th scope=\"col\">Template</th><th scope=\"col\">Status</th><th scope=\"col\">Attempts</th>"
                + "<th scope=\"col\">Last error</th><th scope=\"col\">Action</th></tr></thead><tbody>"
            for message in story.notifications {
                var action = ""
                if message.status == "dead", member.role == .ops {
                    action = """
                        <form method="post" action="/console/notifications/\(message.messageID.uuidString.lowercased())/revive">\
                        \(CustomerPage.formToken(token))\(CustomerPage.hidden("return_id", id))<button type="submit">Revive</button></form>
                        """
                }
                body += "<tr><td>\(e(message.template)) (\(e(message.locale)))</td><td>\(e(message.status))</td>"
                    + "<td>\(message.attempts)</td><td>\(e(message.lastError ?? ""))</td><td>\(action)</td></tr>"
            }
            body += "</tbody></table>"
        }
        if let feedback = story.feedback {
            body += "<h2>Did we resolve the problem?</h2><p>\(feedback.resolved ? "Yes" : "No")"
                + "\(feedback.reason.map { " · \(e($0))" } ?? "")\(feedback.comment.isEmpty ? "" : ": “\(e(feedback.comment))”")"
                + " <span class=\"muted\">(\(e(feedback.locale)), follow-up \(e(feedback.followUp ?? "none")))</span></p>"
            if feedback.followUp == "open", member.role == .ops {
                body += """
                    <form method="post" action="/console/returns/\(id)/follow-up">\(CustomerPage.formToken(token))
                    <label for="note">What was done</label><textarea id="note" name="note" required maxlength="2000"></textarea>
                    <button type="submit">Close the follow-up</button></form>
                    """
            }
        }
        return document(title: "Return \(id.prefix(8))", member: member, token: token, body: body)
    }

    /// The buttons the state allows for the member's role, each form with its own idempotency key.
    static func actions(_ story: ReturnStory, member: StaffMember, token: String, key: String) -> String {
        let id = story.details.record.id.uuidString.lowercased()
        let allowed = Set(story.allowedEvents)
        var forms: [String] = []
        let base = CustomerPage.formToken(token) + CustomerPage.hidden("key", key)
        switch member.role {
        case .finance where story.details.record.state == "manual_review":
            if allowed.contains("approve") {
                forms.append(
                    "<form method=\"post\" action=\"/console/returns/\(id)/decide\">\(base)\(CustomerPage.hidden("event", "approve"))"
                        + "<button type=\"submit\">Approve the refund</button></form>")
            }
            if allowed.contains("reject") {
                forms.append(
                    """
                    <form method="post" action="/console/returns/\(id)/decide">\(base)\(CustomerPage.hidden("event", "reject"))\
                    <label for="reason">Reason for rejecting</label><input type="text" id="reason" name="reason" required maxlength="1000">\
                    <button type="submit" class="danger">Reject</button></form>
                    """)
            }
        case .partner:
            if allowed.contains("receive") {
                forms.append(
                    """
                    <form method="post" action="/console/returns/\(id)/receive">\(base)\
                    <label for="receipt-notes">Receipt notes</label><input type="text" id="receipt-notes" name="notes" maxlength="2000">\
                    <button type="submit">Record the receipt (every unit)</button></form>
                    """)
            }
            if allowed.contains("inspect") || allowed.contains("grade") {
                let grades = Grade.allCases.map { "<option value=\"\($0.rawValue)\">\($0.rawValue)</option>" }.joined()
                let dispositions = Disposition.allCases.map { "<option value=\"\($0.rawValue)\">\($0.rawValue)</option>" }.joined()
                forms.append(
                    """
                    <form method="post" action="/console/returns/\(id)/inspect">\(base)\
                    <label for="grade">Grade</label><select id="grade" name="grade">\(grades)</select>\
                    <label for="disposition">Disposition</label><select id="disposition" name="disposition"><option value="">policy default</option>\(dispositions)</select>\
                    <label for="inspection-notes">Inspection notes</label><input type="text" id="inspection-notes" name="notes" maxlength="1000">\
                    <button type="submit">Record the inspection</button></form>
                    """)
            }
        default: break
        }
        guard !forms.isEmpty else { return "" }
        return "<section class=\"actions-box\"><h2>Actions</h2>\(forms.joined(separator: "\n"))</section>"
    }

    static func queue(
        _ title: String, rows: [[String]], header: [String], member: StaffMember, token: String, form: String = ""
    ) -> String {
        let body = "<h1>\(e(title))</h1>\(form)" + (rows.isEmpty ? "<p>Nothing waiting.</p>" : table(nil, header: header, rows: rows))
        return document(title: title, member: member, token: token, body: body)
    }

    /// A table of `rows` (cells already HTML) under `header`; nothing when there are no rows.
    static func table(_ caption: String?, header: [String], rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "" }
        return "<table>" + (caption.map { "<caption>\(e($0))</caption>" } ?? "") + "<thead><tr>"
            + header.map { "<th scope=\"col\">\(e($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined() + "</tbody></table>"
    }

    /// Parcels scanned in a batch: one return reference a line (a scanner types the barcode and Enter).
    static func batchReceipt(token: String, key: String) -> String {
        """
        <form method="post" action="/console/receipts">\(CustomerPage.formToken(token))\(CustomerPage.hidden("key", key))
        <label for="references">Scan the parcels' return references, one a line</label>
        <textarea id="references" name="references" required></textarea>
        <button type="submit">Record the receipts</button></form>
        """
    }

    static func message(_ title: String, _ text: String, member: StaffMember?, token: String, back: String) -> String {
        document(
            title: title, member: member, token: token,
            body: "<h1>\(e(title))</h1><p role=\"alert\">\(e(text))</p><p><a href=\"\(e(back))\">Back</a></p>")
    }
}
