import Foundation
import ReturnsCore
import ReturnsEngine

/// The customer's status page: where the return stands, what happens next, the items and how each is settled, the
/// money itemised once settled, the history, and the actions open to the customer (print the authorisation, cancel
/// before shipping, say whether the problem was resolved). Works without script.
enum StatusPage {
    typealias Page = CustomerPage

    /// What the page says above its sections after an action: the return was just made, or cancelled.
    enum Notice: String { case created, cancelled, answered }

    /// The feedback form as typed when it had an error.
    struct FeedbackDraft {
        var resolved: String?
        var reason: String?
        var comment: String
    }

    static func render(
        _ status: CustomerStatus, token: String, locale: PageLocale, formToken: String, notice: Notice? = nil,
        feedbackErrors: [FieldError] = [], draft: FeedbackDraft? = nil
    ) -> String {
        let path = "/status/\(token)"
        var body = """
            <h1>\(locale.text("title"))</h1>
            <p class="order">\(locale.text("order")) \(Page.escape(status.orderRef))</p>
            """
        switch notice {
        case .created:
            body += "\n<div class=\"notice\" role=\"status\"><h2>\(locale.text("confirmed_title"))</h2><p>\(locale.text("confirmed_text"))</p></div>"
        case .cancelled:
            body += "\n<div class=\"notice\" role=\"status\"><p>\(locale.text("cancelled_notice"))</p></div>"
        case .answered, nil: break
        }
        body += "\n<section class=\"now\"><h2>\(locale.text("status"))</h2><p>\(Page.escape(status.description))</p></section>"
        if let next = status.nextStep {
            let due = status.expectedBy.map {
                " <span class=\"muted\">(\(locale.text("expected_by")) \(Page.time($0, locale, precise: false)))</span>"
            } ?? ""
            body += "\n<section><h2>\(locale.text("next_step"))</h2><p>\(Page.escape(next))\(due)</p></section>"
        }
        if !status.isShipped || status.canCancel {
            body += "\n<p><a href=\"\(path)/label?lang=\(Page.escape(locale.identifier))\">\(locale.text("print_label"))</a></p>"
        }
        if !status.lines.isEmpty {
            body += "\n<section><h2>\(locale.text("items"))</h2><ul class=\"items\">"
            for line in status.lines {
                let settled =
                    line.resolution == "exchange"
                    ? "\(locale.text("resolution_exchange")) \(Page.escape(line.exchangeSKU ?? ""))"
                    : locale.text("resolution_\(line.resolution)")
                body += "\n<li>\(Page.escape(line.sku)) × \(line.quantity) · \(settled)</li>"
            }
            body += "\n</ul></section>"
        }
        let currency = status.refund.flatMap { try? Currency(code: $0.currency) }
            ?? status.credit.flatMap { try? Currency(code: $0.currency) }
        if !status.settlements.isEmpty {
            for settlement in status.settlements {
                guard let currency = try? Currency(code: settlement.currency) else { continue }
                body += "\n<section><h2>\(locale.text("refund"))</h2><table><tbody>"
                    + PortalPages.settlementRows(settlement, currency: currency, locale) + "</tbody></table></section>"
            }
        } else {
            if let credit = status.credit, let currency {
                body += "\n<section><h2>\(locale.text("credit"))</h2><p class=\"amount\">\(Page.escape(money(credit.amount, currency, locale)))</p></section>"
            }
            if let refund = status.refund, let currency {
                let state = refund.status == "sent" ? locale.text("refund_sent") : locale.text("refund_pending")
                body += "\n<section><h2>\(locale.text("refund"))</h2><p class=\"amount\">\(Page.escape(money(refund.amount, currency, locale))) · \(state)</p></section>"
            }
        }
        body += "\n<section><h2>\(locale.text("history"))</h2><ol class=\"timeline\">"
        for entry in status.timeline.reversed() {
            body += "\n<li>\(Page.time(entry.at, locale, precise: true)) \(Page.escape(entry.description))</li>"
        }
        body += "\n</ol></section>"
        if status.asksFeedback {
            body += feedback(status, path: path, locale: locale, formToken: formToken, notice: notice, errors: feedbackErrors, draft: draft)
        }
        if status.canCancel {
            body += """

                <form method="post" action="\(path)/cancel">\(Page.formToken(formToken))\(Page.hidden("locale", locale.identifier))\
                <button type="submit" class="danger">\(locale.text("cancel"))</button></form>
                """
        }
        return Page.document(locale, title: locale.text("title"), body: body, switchTo: path)
    }

    static func feedback(
        _ status: CustomerStatus, path: String, locale: PageLocale, formToken: String, notice: Notice?,
        errors: [FieldError], draft: FeedbackDraft?
    ) -> String {
        var html = "\n<section id=\"feedback\"><h2>\(locale.text("feedback_question"))</h2>\(Page.errorSummary(errors, locale))"
        if let answer = status.feedback {
            html += "<p class=\"notice\" role=\"status\">\(locale.text("feedback_thanks"))"
            if !answer.resolved, answer.followUp { html += " \(locale.text("feedback_follow_up"))" }
            html += "</p>"
            guard answer.changeableUntil > Date() else { return html + "</section>" }
            html += "<p class=\"hint\">\(locale.text("feedback_change_until", ["date": locale.day(answer.changeableUntil)]))</p>"
        }
        let resolved = draft?.resolved ?? status.feedback.map { $0.resolved ? "yes" : "no" }
        let reason = draft?.reason ?? status.feedback?.reason
        let comment = draft?.comment ?? status.feedback?.comment ?? ""
        let answerError = Page.fieldError("resolved", in: errors)
        let commentError = Page.fieldError("comment", in: errors)
        let reasons = locale.texts.feedbackReasons.isEmpty ? [:] : locale.texts.feedbackReasons
        let options = reasons.keys.sorted().map { code in
            "<option value=\"\(Page.escape(code))\"\(reason == code ? " selected" : "")>\(Page.escape(reasons[code] ?? code))</option>"
        }.joined()
        html += """
            <form method="post" action="\(path)/feedback" novalidate>\(Page.formToken(formToken))\(Page.hidden("locale", locale.identifier))
            <fieldset><legend>\(locale.text("feedback_question"))</legend>\(answerError.message)
            <label class="choice" for="resolved"><input type="radio" id="resolved" name="resolved" value="yes"\
            \(resolved == "yes" ? " checked" : "")\(answerError.attributes)> \(locale.text("feedback_yes"))</label>
            <label class="choice" for="resolved-no"><input type="radio" id="resolved-no" name="resolved" value="no"\
            \(resolved == "no" ? " checked" : "")> \(locale.text("feedback_no"))</label></fieldset>
            <label for="reason">\(locale.text("feedback_reason"))</label>
            <select id="reason" name="reason"><option value="">–</option>\(options)</select>
            <label for="comment">\(locale.text("feedback_comment"))</label>
            \(commentError.message)
            <textarea id="comment" name="comment" maxlength="500"\(commentError.attributes)>\(Page.escape(comment))</textarea>
            <button type="submit">\(locale.text("feedback_send"))</button>
            </form></section>
            """
        return html
    }

    static func notFound(_ locale: PageLocale) -> String {
        Page.document(
            locale, title: locale.text("not_found_title"),
            body: "<h1>\(locale.text("not_found_title"))</h1>\n<p>\(locale.text("not_found_text"))</p>")
    }

    /// A page that says one thing went wrong and offers the way back.
    static func message(_ locale: PageLocale, title: String, text: String, back: String) -> String {
        Page.document(
            locale, title: title,
            body: "<h1>\(title)</h1>\n<p role=\"alert\">\(text)</p>\n<p><a href=\"\(Page.escape(back))\">\(locale.text("back"))</a></p>")
    }

    static func money(_ decimal: String, _ currency: Currency, _ locale: PageLocale) -> String {
        guard let minor = try? Money.parse(decimal, currency: currency).minorUnits else { return "\(decimal) \(currency.code)" }
        return locale.money(minor, currency)
    }
}
