import Foundation
import ReturnsCore
import ReturnsEngine

/// The portal's steps as HTML: find the order, choose lines, check the estimate. Each form carries the form token
/// and the language; what was typed comes back with the errors beside the fields.
enum PortalPages {
    typealias Page = CustomerPage

    static func start(_ locale: PageLocale, token: String, form: PortalForm?, errors: [FieldError]) -> String {
        let orderError = Page.fieldError("order_ref", in: errors)
        let emailError = Page.fieldError("email", in: errors)
        let body = """
            <h1>\(locale.text("portal_title"))</h1>
            \(Page.errorSummary(errors, locale))
            <p>\(locale.text("portal_intro"))</p>
            <form method="post" action="/returns/order" novalidate>
            \(Page.formToken(token))\(Page.hidden("locale", locale.identifier))
            <label for="order_ref">\(locale.text("order_number"))</label>
            <p class="hint" id="order_ref-hint">\(locale.text("order_number_hint"))</p>
            \(orderError.message)
            <input type="text" id="order_ref" name="order_ref" autocomplete="off" required maxlength="100" \
            value="\(Page.escape(form?.orderRef ?? ""))" aria-describedby="order_ref-hint"\(orderError.attributes)>
            <label for="email">\(locale.text("email"))</label>
            \(emailError.message)
            <input type="email" id="email" name="email" autocomplete="email" maxlength="254" \
            value="\(Page.escape(form?.email ?? ""))"\(emailError.attributes)>
            <label for="postal_code">\(locale.text("postal_code"))</label>
            <p class="hint" id="postal_code-hint">\(locale.text("postal_code_hint"))</p>
            <input type="text" id="postal_code" name="postal_code" autocomplete="postal-code" maxlength="16" \
            value="\(Page.escape(form?.postalCode ?? ""))" aria-describedby="postal_code-hint">
            <button type="submit">\(locale.text("find_order"))</button>
            </form>
            """
        return Page.document(locale, title: locale.text("portal_title"), body: body, switchTo: "/returns")
    }

    static func lines(
        _ locale: PageLocale, token: String, order: CustomerPortal.OrderView, form: PortalForm, policy: ReturnPolicy,
        errors: [FieldError]
    ) -> String {
        var body = """
            <h1>\(locale.text("choose_items"))</h1>
            \(Page.errorSummary(errors, locale))
            <p class="order">\(locale.text("order")) \(Page.escape(order.ref)) · \
            \(locale.text("ordered_on", ["date": locale.day(order.orderedAt)]))</p>
            <form method="post" action="/returns/review" novalidate>
            \(Page.formToken(token))\(Page.hidden("locale", locale.identifier))\(form.carried)
            """
        let reasons = policy.reasonCodes.sorted()
        let offered = policy.resolutions.offered
        for (index, view) in order.lines.enumerated() {
            let number = index + 1
            let choice = form.choice(for: view.line.lineID).flatMap { $0.number == number ? $0 : nil }
            func name(_ field: String) -> String { "l\(number)_\(field)" }
            let title = view.line.title.map { "\(Page.escape($0)) · " } ?? ""
            body += """

                <fieldset>
                <legend>\(title)\(Page.escape(view.line.sku))</legend>
                \(Page.hidden(name("id"), view.line.lineID))
                <p class="muted">\(locale.text("unit_price", ["amount": locale.money(view.line.unitPriceMinor, order.currency)])) · \
                \(locale.text("quantity")) \(view.line.quantity)</p>
                """
            guard view.returnable > 0 else {
                body += "<p class=\"refused\">\(Page.escape(PortalForm.refusalText(view, locale)))</p>\n</fieldset>"
                continue
            }
            let returnError = Page.fieldError(name("return"), in: errors)
            body += """
                \(returnError.message)
                <label class="check" for="\(name("return"))"><input type="checkbox" id="\(name("return"))" \
                name="\(name("return"))" value="1"\(choice?.selected == true ? " checked" : "")\(returnError.attributes)> \
                \(locale.text("return_this"))</label>
                """
            if view.returnable > 1 {
                let error = Page.fieldError(name("quantity"), in: errors)
                body += """
                    <label for="\(name("quantity"))">\(locale.text("quantity")) \
                    <span class="muted">(\(locale.text("of_quantity", ["count": "\(view.returnable)"])))</span></label>
                    \(error.message)
                    <input type="number" id="\(name("quantity"))" name="\(name("quantity"))" min="1" max="\(view.returnable)" \
                    inputmode="numeric" value="\(Page.escape(choice?.quantity ?? "1"))"\(error.attributes)>
                    """
            }
            let reasonError = Page.fieldError(name("reason"), in: errors)
            let reasonOptions = reasons.map { code in
                "<option value=\"\(Page.escape(code))\"\(choice?.reason == code ? " selected" : "")>"
                    + "\(Page.escape(locale.texts.reasons[code] ?? code))</option>"
            }.joined()
            body += """
                <label for="\(name("reason"))">\(locale.text("reason"))</label>
                \(reasonError.message)
                <select id="\(name("reason"))" name="\(name("reason"))"\(reasonError.attributes)>\
                <option value="">\(locale.text("choose_reason"))</option>\(reasonOptions)</select>
                """
            if offered.count > 1 {
                body += resolutionChoice(view, number: number, choice: choice, order: order, policy: policy, locale, errors)
            }
            body += "\n</fieldset>"
        }
        body += """

            <div class="actions"><button type="submit">\(locale.text("continue"))</button> <a href="/returns?lang=\(Page.escape(locale.identifier))">\(locale.text("back"))</a></div>
            </form>
            """
        return Page.document(locale, title: locale.text("choose_items"), body: body)
    }

    static func resolutionChoice(
        _ view: CustomerPortal.LineView, number: Int, choice: PortalForm.Choice?, order: CustomerPortal.OrderView,
        policy: ReturnPolicy, _ locale: PageLocale, _ errors: [FieldError]
    ) -> String {
        let field = "l\(number)_resolution"
        let error = Page.fieldError(field, in: errors)
        let chosen = choice?.resolution ?? Resolution.refund.rawValue
        var html = "<fieldset class=\"resolution\"><legend>\(locale.text("resolution"))</legend>\(error.message)"
        for (index, resolution) in policy.resolutions.offered.enumerated() {
            if resolution == .exchange, view.exchanges.isEmpty {
                html += "<p class=\"muted\">\(locale.text("no_exchange_in_stock"))</p>"
                continue
            }
            let id = index == 0 ? field : "\(field)-\(resolution.rawValue)"
            let text: String =
                switch resolution {
                case .refund: locale.text("resolution_refund")
                case .storeCredit: bonusText(policy.resolutions.storeCredit, currency: order.currency, locale)
                case .exchange: locale.text("exchange_variant")
                }
            html += """
                <label class="choice" for="\(id)"><input type="radio" id="\(id)" name="\(field)" \
                value="\(resolution.rawValue)"\(chosen == resolution.rawValue ? " checked" : "")\(error.attributes)> \(text)</label>
                """
        }
        if !view.exchanges.isEmpty {
            let exchangeField = "l\(number)_exchange"
            let exchangeError = Page.fieldError(exchangeField, in: errors)
            let options = view.exchanges.map { option in
                let variant = option.variant
                let attributes = variant.attributes.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
                let name = [variant.title, attributes].filter { !$0.isEmpty }.joined(separator: " – ")
                return "<option value=\"\(Page.escape(variant.sku))\"\(choice?.exchange == variant.sku ? " selected" : "")>"
                    + "\(Page.escape(name)) (\(differenceWords(option.difference, option.differenceMinor, order.currency, locale)))</option>"
            }.joined()
            html += """
                <label for="\(exchangeField)">\(locale.text("exchange_variant"))</label>
                \(exchangeError.message)
                <select id="\(exchangeField)" name="\(exchangeField)"\(exchangeError.attributes)>\
                <option value="">–</option>\(options)</select>
                """
        }
        return html + "</fieldset>"
    }

    /// "Store credit with a 10 % bonus", the bonus written for the locale; plain "Store credit" without one.
    static func bonusText(_ terms: StoreCreditTerms, currency: Currency, _ locale: PageLocale) -> String {
        var parts: [String] = []
        if terms.bonusPercent > 0 {
            let formatter = NumberFormatter()
            formatter.locale = Locale(identifier: locale.identifier)
            formatter.numberStyle = .percent
            parts.append(formatter.string(from: NSNumber(value: Double(terms.bonusPercent) / 100)) ?? "\(terms.bonusPercent)%")
        }
        if let flat = terms.bonusFlat[currency.code], flat > 0 { parts.append(locale.money(flat, currency)) }
        guard !parts.isEmpty else { return locale.text("resolution_store_credit") }
        return locale.text("store_credit_bonus", ["bonus": parts.joined(separator: " + ")])
    }

    static func review(
        _ locale: PageLocale, token: String, order: CustomerPortal.OrderView, form: PortalForm,
        lines: [ReturnFromOrder.Line], estimate: Settlement, key: String
    ) -> String {
        let currency = order.currency
        var items = ""
        var fields = ""
        for line in lines {
            guard let index = order.lines.firstIndex(where: { $0.line.lineID == line.orderLine }) else { continue }
            let view = order.lines[index]
            let number = index + 1
            let settled: String =
                switch line.resolution {
                case .refund: locale.text("resolution_refund")
                case .storeCredit: locale.text("resolution_store_credit")
                case .exchange:
                    "\(locale.text("exchange_variant")) "
                        + Page.escape(view.exchanges.first { $0.variant.sku == line.exchangeSKU }?.variant.title ?? line.exchangeSKU ?? "")
                }
            items += """
                <tr><td>\(Page.escape(view.line.title ?? view.line.sku))<br><span class="muted">\
                \(Page.escape(locale.texts.reasons[line.reason] ?? line.reason))</span></td><td>× \(line.quantity)</td><td>\(settled)</td></tr>
                """
            fields += Page.hidden("l\(number)_id", line.orderLine) + Page.hidden("l\(number)_return", "1")
                + Page.hidden("l\(number)_quantity", "\(line.quantity)") + Page.hidden("l\(number)_reason", line.reason)
                + Page.hidden("l\(number)_resolution", line.resolution.rawValue)
                + (line.exchangeSKU.map { Page.hidden("l\(number)_exchange", $0) } ?? "")
        }
        let rows = settlementRows(estimate, currency: currency, locale)
        let carried = Page.formToken(token) + Page.hidden("locale", locale.identifier) + form.carried + fields
        let body = """
            <h1>\(locale.text("review_title"))</h1>
            <p class="order">\(locale.text("order")) \(Page.escape(order.ref))</p>
            <table><thead><tr><th scope="col">\(locale.text("items"))</th><th scope="col">\(locale.text("quantity"))</th>\
            <th scope="col">\(locale.text("resolution"))</th></tr></thead><tbody>\(items)</tbody></table>
            <h2>\(locale.text("refund"))</h2>
            <table class="estimate"><tbody>\(rows)</tbody></table>
            <p class="hint">\(locale.text("estimate_note"))</p>
            <div class="actions">
            <form method="post" action="/returns/confirm">\(carried)\(Page.hidden("key", key))<button type="submit">\(locale.text("confirm"))</button></form>
            <form method="post" action="/returns/order">\(carried)<button type="submit" class="secondary">\(locale.text("back"))</button></form>
            </div>
            """
        return Page.document(locale, title: locale.text("review_title"), body: body)
    }

    /// The rows of a settlement's table, as the estimate and the status page show it: the items' value, each
    /// deduction, exchange differences and bonus, then what goes back or is charged.
    static func settlementRows(_ estimate: Settlement, currency: Currency, _ locale: PageLocale) -> String {
        func money(_ minor: Int64) -> String { Page.escape(locale.money(minor, currency)) }
        var rows = "<tr><td>\(locale.text("item_value"))</td><td class=\"amount\">\(money(estimate.grossMinor))</td></tr>"
        let fees = estimate.lines.reduce(0) { $0 + $1.feeMinor }
        if fees > 0 { rows += "<tr><td>\(locale.text("restocking_fee"))</td><td class=\"amount\">−\(money(fees))</td></tr>" }
        if estimate.labelMinor > 0 {
            rows += "<tr><td>\(locale.text("label_cost"))</td><td class=\"amount\">−\(money(estimate.labelMinor))</td></tr>"
        }
        for line in estimate.lines where line.resolution == .exchange {
            rows += "<tr><td>\(locale.text("exchange_difference"))</td><td class=\"amount\">"
                + "\(Page.escape(line.difference.map { differenceWords($0, line.differenceMinor ?? 0, currency, locale) } ?? ""))</td></tr>"
        }
        if estimate.bonusMinor > 0 {
            rows += "<tr><td>\(locale.text("credit_bonus"))</td><td class=\"amount\">+\(money(estimate.bonusMinor))</td></tr>"
        }
        if estimate.refundMinor > 0 || (estimate.creditMinor == 0 && estimate.chargeMinor == 0) {
            rows += "<tr class=\"total\"><td>\(locale.text("estimate_refund"))</td><td class=\"amount\">\(money(estimate.refundMinor))</td></tr>"
        }
        if estimate.creditMinor + estimate.bonusMinor > 0 {
            rows += "<tr class=\"total\"><td>\(locale.text("estimate_credit"))</td><td class=\"amount\">"
                + "\(money(estimate.creditMinor + estimate.bonusMinor))</td></tr>"
        }
        if estimate.chargeMinor > 0 {
            rows += "<tr class=\"total\"><td>\(locale.text("estimate_charge"))</td><td class=\"amount\">\(money(estimate.chargeMinor))</td></tr>"
        }
        return rows
    }

    static func differenceWords(
        _ difference: Settlement.Difference, _ minor: Int64, _ currency: Currency, _ locale: PageLocale
    ) -> String {
        let amount = locale.money(abs(minor), currency)
        return switch difference {
        case .charged: locale.texts.label("difference_charged", ["amount": amount])
        case .refunded: locale.texts.label("difference_refunded", ["amount": amount])
        case .credited: locale.texts.label("difference_credited", ["amount": amount])
        case .even, .waived: locale.texts.label("difference_even")
        }
    }
}
