/// A variant the shop sells, as exchanges see it: what it is, what it costs, how many are on the shelf.
public struct CatalogVariant: Sendable, Hashable, Codable {
    public var sku: String
    public var productID: String
    public var title: String
    /// Size, colour and the like, as the shop names them.
    public var attributes: [String: String]
    public var priceMinor: Int64
    public var currency: Currency
    public var onHand: Int

    public init(
        sku: String, productID: String, title: String = "", attributes: [String: String] = [:], priceMinor: Int64,
        currency: Currency, onHand: Int
    ) {
        self.sku = sku
        self.productID = productID
        self.title = title
        self.attributes = attributes
        self.priceMinor = priceMinor
        self.currency = currency
        self.onHand = onHand
    }

    public var price: Money { Money(minorUnits: priceMinor, currency: currency) }
}

/// The fields of a catalog variant, read as text whatever carried them (a JSON body, a CSV row), so every way in
/// checks a variant the same way. `value` gives a field's text, or nil when absent or empty. `attributes` is
/// `name=value` pairs separated by `;` (`size=M;colour=navy`).
public enum CatalogFields {
    public static let names = ["sku", "product_id", "title", "attributes", "price", "currency", "on_hand"]

    public static func variant(_ value: (String) -> String?) throws(OrderProblem) -> CatalogVariant {
        guard let sku = value("sku") else { throw OrderProblem(field: "sku", "required") }
        guard ReturnItem.isSKU(sku), !sku.contains(where: \.isControlCharacter) else {
            throw OrderProblem(field: "sku", "'\(OrderFields.visible(sku))' must be 1 to 64 characters without spaces")
        }
        guard let product = value("product_id") else {
            throw OrderProblem(field: "product_id", "required: the product this variant is a size or colour of")
        }
        guard product.count <= 64, !product.contains(where: \.isControlCharacter) else {
            throw OrderProblem(field: "product_id", "'\(OrderFields.visible(product))' must be 1 to 64 characters")
        }
        let title = value("title") ?? ""
        guard title.count <= 200, !title.contains(where: \.isControlCharacter) else {
            throw OrderProblem(field: "title", "must be at most 200 characters without control characters")
        }
        var attributes: [String: String] = [:]
        for pair in (value("attributes") ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].count <= 32, parts[1].count <= 64,
                !pair.contains(where: \.isControlCharacter)
            else {
                throw OrderProblem(
                    field: "attributes", "'\(OrderFields.visible(String(pair)))' is not name=value, like size=M;colour=navy")
            }
            attributes[parts[0]] = parts[1]
        }
        guard let code = value("currency") else { throw OrderProblem(field: "currency", "required") }
        let currency: Currency
        do { currency = try Currency(code: code) } catch {
            throw OrderProblem(field: "currency", "'\(OrderFields.visible(code))' is not an ISO 4217 currency code like EUR")
        }
        guard let priceText = value("price") else { throw OrderProblem(field: "price", "required") }
        let price: Money
        do { price = try Money.parse(priceText, currency: currency) } catch {
            throw OrderProblem(field: "price", "\(error); give a decimal like \"19.99\" in \(currency.code)")
        }
        guard price.minorUnits >= 0 else { throw OrderProblem(field: "price", "must not be negative") }
        guard let stockText = value("on_hand") else { throw OrderProblem(field: "on_hand", "required: units in stock") }
        guard let stock = Int(stockText), (0...10_000_000).contains(stock) else {
            throw OrderProblem(field: "on_hand", "'\(OrderFields.visible(stockText))' must be a whole number from 0 to 10000000")
        }
        return CatalogVariant(
            sku: sku, productID: product, title: title, attributes: attributes, priceMinor: price.minorUnits,
            currency: currency, onHand: stock)
    }

    /// A variant from a JSON object (a request body, an adapter's answer): strings, whole numbers, and
    /// `attributes` as an object of strings.
    public static func variant(json fields: [String: JSONValue]) throws(OrderProblem) -> CatalogVariant {
        var texts: [String: String] = [:]
        for (field, value) in fields {
            guard names.contains(field) else {
                throw OrderProblem(field: field, "unknown field; known fields are \(names.sorted().joined(separator: ", "))")
            }
            switch value {
            case .null: continue
            case .string(let text): texts[field] = text.trimmingCharacters(in: .whitespaces)
            case .number(let number) where number == number.rounded() && abs(number) < 1e9: texts[field] = "\(Int(number))"
            case .object(let pairs) where field == "attributes":
                var attributes: [String: String] = [:]
                for (name, value) in pairs {
                    guard let text = value.stringValue else {
                        throw OrderProblem(field: "attributes.\(name)", "must be a string, like \"M\" or \"navy\"")
                    }
                    attributes[name] = text
                }
                texts[field] = attributesText(attributes)
            default:
                throw OrderProblem(field: field, field == "price" ? "must be a decimal string like \"19.99\"" : "must be a string")
            }
        }
        return try variant { texts[$0].flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// `attributes` written back as `name=value;…`, names sorted.
    public static func attributesText(_ attributes: [String: String]) -> String {
        attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }
}

extension ExchangeTerms {
    /// Why `variant` may not replace a unit of `productID` paid `paidUnitMinor` in `currency`, or nil when it may.
    public func refusal(
        of variant: CatalogVariant, for productID: String?, sku: String, paidUnitMinor: Int64, currency: Currency
    ) -> String? {
        if variant.sku == sku { return "\(variant.sku) is the item returned; choose another variant" }
        if variant.currency != currency {
            return "\(variant.sku) is priced in \(variant.currency.code), the order in \(currency.code)"
        }
        if match == .sameProduct, variant.productID != productID {
            return productID == nil
                ? "the order line names no product, and exchanges are for another variant of the same product"
                : "\(variant.sku) is not a variant of product \(productID!); exchanges are for the same product"
        }
        if price == .samePrice, variant.priceMinor != paidUnitMinor {
            return "\(variant.sku) costs \(variant.price), the unit returned was paid "
                + "\(Money(minorUnits: paidUnitMinor, currency: currency)); exchanges are at the same price"
        }
        return nil
    }
}
