import Foundation

/// The fields of an order document, read as text whatever carried them (a JSON body, a JSON line, a CSV row), so
/// every way in checks an order the same way. `value` gives a field's text, or nil when it is absent or empty.
public enum OrderFields {
    public static let orderNames = [
        "order_ref", "customer_email", "postal_code", "customer_id", "ordered_at", "delivered_at", "currency", "region",
    ]
    public static let lineNames = [
        "line_id", "sku", "product_id", "variant_id", "title", "quantity", "unit_price", "tax", "category", "final_sale",
    ]
    /// Lines one order may have.
    public static let maximumLines = 500

    /// The order's own fields; its lines come from `line(_:currency:)`.
    public static func order(_ value: (String) -> String?) throws(OrderProblem) -> Order {
        let ref = try required("order_ref", value)
        try check(ref, field: "order_ref", maximum: 100, what: "an order reference")
        let email = try required("customer_email", value)
        guard email.count <= 254, EmailAddress(email) != nil else {
            throw OrderProblem(field: "customer_email", "'\(visible(email))' is not an email address like name@example.com")
        }
        let postal = value("postal_code")
        if let postal {
            guard postal.count <= 16, postal.contains(where: { $0.isLetter || $0.isNumber }),
                postal.allSatisfy({ $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" })
            else {
                throw OrderProblem(
                    field: "postal_code", "'\(visible(postal))' is not a postal code (up to 16 letters, digits, spaces or '-')")
            }
        }
        let customerID = value("customer_id")
        if let customerID { try check(customerID, field: "customer_id", maximum: 64, what: "a customer id") }
        guard let ordered = try date("ordered_at", value) else {
            throw OrderProblem(field: "ordered_at", "required: when the order was placed, like 2026-11-02T10:00:00Z")
        }
        guard ordered.timeIntervalSinceNow < 86_400 else {
            throw OrderProblem(field: "ordered_at", "is in the future; give when the order was placed")
        }
        var delivered = try date("delivered_at", value)
        if let day = delivered, day < ordered {
            // A delivery given as a date on the order's own day is that day, not before the order.
            guard day.timeIntervalSince(ordered) > -86_400, Calendar.utc.isDate(day, inSameDayAs: ordered) else {
                throw OrderProblem(field: "delivered_at", "is before ordered_at; give the day the customer received it")
            }
            delivered = ordered
        }
        let code = try required("currency", value)
        let currency: Currency
        do { currency = try Currency(code: code) } catch {
            throw OrderProblem(field: "currency", "'\(visible(code))' is not an ISO 4217 currency code like EUR")
        }
        let region = value("region")
        if let region {
            guard region.count <= 32, !region.contains(where: { $0.isWhitespace || $0.isControlCharacter }) else {
                throw OrderProblem(field: "region", "'\(visible(region))' is not a region code like EU or US-WEST")
            }
        }
        return Order(
            ref: ref, customerEmail: email, postalCode: postal, customerID: customerID, orderedAt: ordered,
            deliveredAt: delivered,
            currency: currency, region: region, lines: [])
    }

    /// One line of an order in `currency`.
    public static func line(_ value: (String) -> String?, currency: Currency) throws(OrderProblem) -> OrderLine {
        let id = try required("line_id", value)
        try check(id, field: "line_id", maximum: 64, what: "a line id", spaces: false)
        let sku = try required("sku", value)
        guard ReturnItem.isSKU(sku), !sku.contains(where: \.isControlCharacter) else {
            throw OrderProblem(field: "sku", "'\(visible(sku))' must be 1 to 64 characters without spaces")
        }
        for (field, maximum) in [("product_id", 64), ("variant_id", 64), ("title", 200)] {
            if let text = value(field) { try check(text, field: field, maximum: maximum, what: "a \(field)") }
        }
        let quantityText = try required("quantity", value)
        guard let quantity = Int(quantityText), (1...10_000).contains(quantity) else {
            throw OrderProblem(field: "quantity", "'\(visible(quantityText))' must be a whole number from 1 to 10000")
        }
        guard let price = try money("unit_price", value, currency: currency) else {
            throw OrderProblem(field: "unit_price", "required: what was paid per unit after discounts, like \"19.99\"")
        }
        let (_, overflow) = price.multipliedReportingOverflow(by: Int64(quantity))
        guard !overflow else { throw OrderProblem(field: "unit_price", "quantity x unit_price is too large") }
        let tax = try money("tax", value, currency: currency)
        let category = value("category") ?? ReturnItem.defaultCategory
        guard ReturnItem.isCode(category) else {
            throw OrderProblem(field: "category", "'\(visible(category))' must be 1 to 64 letters, digits, '_' or '-'")
        }
        let finalSale: Bool
        switch value("final_sale")?.lowercased() {
        case nil, "false", "no", "0": finalSale = false
        case "true", "yes", "1": finalSale = true
        case let other?: throw OrderProblem(field: "final_sale", "'\(visible(other))' must be true or false")
        }
        return OrderLine(
            lineID: id, sku: sku, productID: value("product_id"), variantID: value("variant_id"), title: value("title"),
            quantity: quantity, unitPriceMinor: price, taxMinor: tax, category: category, finalSale: finalSale)
    }

    /// What only the whole order can tell: at least one line, line ids unique, a total that fits.
    public static func complete(_ order: Order) throws(OrderProblem) {
        guard !order.lines.isEmpty else { throw OrderProblem(field: "lines", "an order needs at least one line") }
        guard order.lines.count <= maximumLines else {
            throw OrderProblem(field: "lines", "an order has at most \(maximumLines) lines; this one has \(order.lines.count)")
        }
        var seen: Set<String> = []
        var total: Int64 = 0
        for line in order.lines {
            guard seen.insert(line.lineID).inserted else {
                throw OrderProblem(field: "line_id", "line '\(line.lineID)' appears twice in order \(order.ref)")
            }
            let (sum, overflow) = total.addingReportingOverflow(Int64(line.quantity) * line.unitPriceMinor)
            guard !overflow else { throw OrderProblem(field: "lines", "the order's total is too large") }
            total = sum
        }
    }

    private static func required(_ field: String, _ value: (String) -> String?) throws(OrderProblem) -> String {
        guard let text = value(field) else { throw OrderProblem(field: field, "required") }
        return text
    }

    private static func check(
        _ text: String, field: String, maximum: Int, what: String, spaces: Bool = true
    ) throws(OrderProblem) {
        guard text.count <= maximum else {
            throw OrderProblem(field: field, "must be at most \(maximum) characters (\(text.count) given)")
        }
        guard !text.contains(where: { $0.isControlCharacter || (!spaces && $0.isWhitespace) }) else {
            throw OrderProblem(
                field: field, "'\(visible(text))' is not \(what): no control characters\(spaces ? "" : " or spaces")")
        }
    }

    private static func date(_ field: String, _ value: (String) -> String?) throws(OrderProblem) -> Date? {
        guard let text = value(field) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw OrderProblem(field: field, "'\(visible(text))' is not a date like 2026-11-02 or 2026-11-02T10:00:00Z")
        }
        return date
    }

    private static func money(_ field: String, _ value: (String) -> String?, currency: Currency) throws(OrderProblem)
        -> Int64?
    {
        guard let text = value(field) else { return nil }
        let amount: Money
        do { amount = try Money.parse(text, currency: currency) } catch {
            throw OrderProblem(field: field, "\(error); give a decimal like \"19.99\" in \(currency.code)")
        }
        guard amount.minorUnits >= 0 else { throw OrderProblem(field: field, "must not be negative") }
        return amount.minorUnits
    }

    /// Control characters shown as escapes, so a message never carries a line break of its own.
    static func visible(_ text: String) -> String {
        String(text.prefix(80)).unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
            .joined()
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

extension Character {
    var isControlCharacter: Bool { unicodeScalars.contains { $0.value < 32 || (0x7F...0x9F).contains($0.value) } }
}

extension OrderFields {
    /// An order from a JSON object (a request body or one JSON line): its fields, and `lines` as a list of
    /// objects. Problems name the field as the document does (`lines[2].unit_price`).
    public static func order(json fields: [String: JSONValue]) throws(OrderProblem) -> Order {
        try refuseUnknown(fields, known: Set(orderNames + ["lines"]), path: "")
        var order = try order(try texts(fields, path: ""))
        guard case .array(let lines)? = fields["lines"] else {
            throw OrderProblem(field: "lines", fields["lines"] == nil ? "required" : "must be a list of line objects")
        }
        for (index, entry) in lines.enumerated() {
            let path = "lines[\(index)]."
            guard case .object(let line) = entry else { throw OrderProblem(field: "lines[\(index)]", "must be an object") }
            try refuseUnknown(line, known: Set(lineNames), path: path)
            do { order.lines.append(try self.line(try texts(line, path: path), currency: order.currency)) } catch {
                throw OrderProblem(field: error.field.hasPrefix(path) ? error.field : path + error.field, error.message)
            }
        }
        try complete(order)
        return order
    }

    private static func refuseUnknown(_ fields: [String: JSONValue], known: Set<String>, path: String)
        throws(OrderProblem)
    {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw OrderProblem(
                field: path + unknown, "unknown field; known fields are \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The object's scalar fields as text (numbers as written, booleans as true or false; lists and objects refused,
    /// `lines` aside).
    private static func texts(_ fields: [String: JSONValue], path: String) throws(OrderProblem) -> (String) -> String? {
        var texts: [String: String] = [:]
        for (field, value) in fields where field != "lines" {
            switch value {
            case .null: continue
            case .string(let text):
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { texts[field] = trimmed }
            case .number(let number):
                texts[field] = number == number.rounded() && abs(number) < 9e15 ? "\(Int64(number))" : "\(number)"
            case .bool(let flag): texts[field] = flag ? "true" : "false"
            case .array, .object: throw OrderProblem(field: path + field, "must be a string, a number or true/false")
            }
        }
        return { texts[$0] }
    }
}
