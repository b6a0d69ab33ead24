import Foundation
import ReturnsCore
import ReturnsEngine

/// What the portal's forms carry from step to step: the order and its proof, the page's language, and for each
/// order line what the customer chose. Line fields are numbered in the order's line order (`l1_quantity`), with the
/// line's id beside them, so a form posted back is read against the order as it is now.
struct PortalForm: Sendable {
    var orderRef: String?
    var email: String?
    var postalCode: String?
    var locale: String?
    var choices: [Choice]
    /// The review's idempotency key, carried to the confirmation.
    var key: String?

    struct Choice: Sendable, Hashable {
        var number: Int
        var lineID: String
        var selected: Bool
        var quantity: String?
        var reason: String?
        var resolution: String?
        var exchange: String?

        func field(_ name: String) -> String { "l\(number)_\(name)" }
    }

    /// Lines past this many are not read: no order of record has more.
    static let maxLines = 500

    init(_ form: FormBody) {
        orderRef = form["order_ref"].map { String($0.prefix(100)) }
        email = form["email"].map { String($0.prefix(254)) }
        postalCode = form["postal_code"].map { String($0.prefix(16)) }
        locale = form["locale"].map { String($0.prefix(16)) }
        var choices: [Choice] = []
        for number in 1...Self.maxLines {
            guard let id = form["l\(number)_id"] else { break }
            choices.append(
                Choice(
                    number: number, lineID: id, selected: form["l\(number)_return"] != nil,
                    quantity: form["l\(number)_quantity"], reason: form["l\(number)_reason"],
                    resolution: form["l\(number)_resolution"], exchange: form["l\(number)_exchange"]))
        }
        self.choices = choices
    }

    func choice(for lineID: String) -> Choice? { choices.first { $0.lineID == lineID } }

    /// The proof the customer gave, or the error to show by the email field.
    func proof(_ locale: PageLocale) -> Result<ReturnFromOrder.Proof, FieldError> {
        switch (email, postalCode) {
        case (let email?, _): return .success(.email(email))
        case (nil, let code?): return .success(.postalCode(code))
        case (nil, nil): return .failure(FieldError(field: "email", message: locale.texts.label("error_proof")))
        }
    }

    /// The order and proof fields, hidden, for the next step's form.
    var carried: String {
        [("order_ref", orderRef), ("email", email), ("postal_code", postalCode)].compactMap { name, value in
            value.map { CustomerPage.hidden(name, $0) }
        }.joined()
    }

    /// The lines chosen, checked against `order` and the policy, or the errors to show beside their fields. A
    /// confirmation (`confirming`) does not hold a line's units already in a return against it: the same return
    /// confirmed again holds them itself, and the engine replays it (or refuses another).
    func lines(of order: CustomerPortal.OrderView, policy: ReturnPolicy, locale: PageLocale, confirming: Bool = false) -> (
        [ReturnFromOrder.Line], [FieldError]
    ) {
        var lines: [ReturnFromOrder.Line] = []
        var errors: [FieldError] = []
        func error(_ field: String, _ key: String, _ values: [String: String] = [:]) {
            errors.append(FieldError(field: field, message: locale.texts.label(key, values)))
        }
        let offered = policy.resolutions.offered
        for (index, view) in order.lines.enumerated() {
            let number = index + 1
            guard let choice = choice(for: view.line.lineID), choice.number == number, choice.selected else { continue }
            let returnable = confirming && view.refusal == .alreadyReturned ? view.line.quantity : view.returnable
            guard returnable > 0 else {
                error(choice.field("return"), "error_unavailable", ["reason": Self.refusalText(view, locale)])
                continue
            }
            var valid = true
            let quantity = choice.quantity.flatMap { Int($0) } ?? (returnable == 1 ? 1 : nil)
            if quantity == nil || !(1...returnable).contains(quantity!) {
                error(choice.field("quantity"), "error_quantity", ["count": "\(returnable)"])
                valid = false
            }
            let reason = choice.reason.flatMap { policy.reasonCodes.isEmpty || policy.reasonCodes.contains($0) ? $0 : nil }
            if reason == nil {
                error(choice.field("reason"), "error_choose_reason")
                valid = false
            }
            let resolution =
                offered.count == 1 ? offered[0] : choice.resolution.flatMap(Resolution.init(rawValue:)).flatMap {
                    offered.contains($0) ? $0 : nil
                }
            if resolution == nil {
                error(choice.field("resolution"), "error_required")
                valid = false
            }
            var exchangeSKU: String?
            if resolution == .exchange {
                exchangeSKU = choice.exchange.flatMap { sku in view.exchanges.contains { $0.variant.sku == sku } ? sku : nil }
                if exchangeSKU == nil {
                    error(choice.field("exchange"), "error_choose_variant")
                    valid = false
                }
            }
            if valid, let quantity, let reason, let resolution {
                lines.append(
                    ReturnFromOrder.Line(
                        orderLine: view.line.lineID, quantity: quantity, reason: reason, resolution: resolution,
                        exchangeSKU: exchangeSKU))
            }
        }
        if lines.isEmpty, errors.isEmpty {
            error(order.lines.isEmpty ? "order_ref" : "l1_return", "error_choose_item")
        }
        return (lines, errors)
    }

    /// Why `view` cannot be returned, in the customer's words.
    static func refusalText(_ view: CustomerPortal.LineView, _ locale: PageLocale) -> String {
        switch view.refusal {
        case .finalSale: locale.texts.label("not_returnable_final_sale")
        case .category: locale.texts.label("not_returnable_category")
        case .blocked: locale.texts.label("not_returnable_blocked")
        case .windowEnded(let date): locale.texts.label("not_returnable_window", ["date": locale.day(date)])
        case .alreadyReturned, nil: locale.texts.label("not_returnable_returned")
        }
    }
}
