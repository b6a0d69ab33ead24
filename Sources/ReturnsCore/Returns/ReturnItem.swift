/// One line of a return: what is sent back, how many, and what was paid for each.
public struct ReturnItem: Sendable, Hashable, Codable {
    public var sku: String
    public var quantity: Int
    public var unitPrice: Money
    /// The product category, which sets the return window and whether it can be returned at all.
    public var category: String
    /// The customer's reason code.
    public var reason: String

    public static let defaultCategory = "general"
    public static let defaultReason = "changed_mind"

    public init(
        sku: String, quantity: Int, unitPrice: Money, category: String = ReturnItem.defaultCategory,
        reason: String = ReturnItem.defaultReason
    ) {
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.category = category
        self.reason = reason
    }

    /// Whether `value` may be a category or reason code: 1 to 64 letters, digits, '_' or '-'.
    public static func isCode(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 64 && value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    /// Whether `value` may be a SKU: 1 to 64 characters without spaces.
    public static func isSKU(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 64 && !value.contains(where: \.isWhitespace)
    }

    /// Parses `SKU:QTY:UNIT_PRICE:CURRENCY[:CATEGORY[:REASON]]`, as given with `--item`.
    public static func parse(_ text: String) throws(ReturnItemError) -> ReturnItem {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (4...6).contains(parts.count) else {
            throw .init(text, "expected SKU:QTY:UNIT_PRICE:CURRENCY[:CATEGORY[:REASON]], like SHOE-42:1:89.90:EUR")
        }
        let category = parts.count > 4 ? parts[4] : defaultCategory
        let reason = parts.count > 5 ? parts[5] : defaultReason
        for (name, value) in [("category", category), ("reason", reason)] where !isCode(value) {
            throw .init(text, "\(name) '\(value)' must be 1 to 64 letters, digits, '_' or '-'")
        }
        let sku = parts[0]
        guard isSKU(sku) else {
            throw .init(text, "SKU must be 1 to 64 characters without spaces")
        }
        guard let quantity = Int(parts[1]), quantity > 0, quantity <= 10_000 else {
            throw .init(text, "quantity '\(parts[1])' must be a whole number from 1 to 10000")
        }
        do {
            let currency = try Currency(code: parts[3])
            let price = try Money.parse(parts[2], currency: currency)
            guard price.minorUnits >= 0 else { throw ReturnItemError(text, "unit price must not be negative") }
            return ReturnItem(sku: sku, quantity: quantity, unitPrice: price, category: category, reason: reason)
        } catch let error as MoneyError {
            throw .init(text, error.description)
        } catch let error as ReturnItemError {
            throw error
        } catch {
            throw .init(text, "\(error)")
        }
    }

    /// What was paid for this line: unit price times quantity.
    public var lineTotal: Money {
        get throws(MoneyError) { try unitPrice.times(quantity) }
    }
}

/// Why an item was refused, naming the item as it was written.
public struct ReturnItemError: Error, Equatable, Sendable, CustomStringConvertible {
    public var item: String
    public var reason: String

    public init(_ item: String, _ reason: String) {
        self.item = item
        self.reason = reason
    }

    public var description: String { "item '\(item)': \(reason)" }
}
