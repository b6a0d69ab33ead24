import Foundation

/// An order of record: what the shop sold, to whom, and what was paid per unit after discounts. Returns are made
/// from its lines; the caller never names a price.
public struct Order: Sendable, Hashable {
    public var ref: String
    public var customerEmail: String
    public var postalCode: String?
    /// The shop's id of the customer, when it has one: their returns count together whatever the email.
    public var customerID: String?
    public var orderedAt: Date
    public var deliveredAt: Date?
    public var currency: Currency
    public var region: String?
    public var lines: [OrderLine]

    public init(
        ref: String, customerEmail: String, postalCode: String? = nil, customerID: String? = nil, orderedAt: Date,
        deliveredAt: Date? = nil, currency: Currency, region: String? = nil, lines: [OrderLine]
    ) {
        self.customerID = customerID
        self.ref = ref
        self.customerEmail = customerEmail
        self.postalCode = postalCode
        self.orderedAt = orderedAt
        self.deliveredAt = deliveredAt
        self.currency = currency
        self.region = region
        self.lines = lines
    }

    /// What the customer paid: every line's quantity times its unit price. Checked for overflow when parsed.
    public var paidMinor: Int64 {
        lines.reduce(0) { $0 + Int64($1.quantity) * $1.unitPriceMinor }
    }

    /// The return window counts from delivery, else from the order.
    public var windowStart: Date { deliveredAt ?? orderedAt }

    public func line(_ id: String) -> OrderLine? { lines.first { $0.lineID == id } }

    /// The order's content as one canonical text, for telling an unchanged upsert from a change.
    public var canonicalText: String {
        var parts = [
            ref, customerEmail, postalCode ?? "", "\(orderedAt.timeIntervalSince1970)",
            deliveredAt.map { "\($0.timeIntervalSince1970)" } ?? "", currency.code, region ?? "", customerID ?? "",
        ]
        for line in lines {
            parts += [
                line.lineID, line.sku, line.productID ?? "", line.variantID ?? "", line.title ?? "", "\(line.quantity)",
                "\(line.unitPriceMinor)", line.taxMinor.map { "\($0)" } ?? "", line.category, "\(line.finalSale)",
            ]
        }
        // Unit separators cannot occur in any field (control characters are refused), so the text is unambiguous.
        return parts.joined(separator: "\u{1F}")
    }
}

public struct OrderLine: Sendable, Hashable {
    /// The shop's stable id of the line within its order.
    public var lineID: String
    public var sku: String
    public var productID: String?
    public var variantID: String?
    public var title: String?
    public var quantity: Int
    /// Paid per unit after discounts, in the order's currency's minor units.
    public var unitPriceMinor: Int64
    public var taxMinor: Int64?
    public var category: String
    public var finalSale: Bool

    public init(
        lineID: String, sku: String, productID: String? = nil, variantID: String? = nil, title: String? = nil,
        quantity: Int, unitPriceMinor: Int64, taxMinor: Int64? = nil, category: String = ReturnItem.defaultCategory,
        finalSale: Bool = false
    ) {
        self.lineID = lineID
        self.sku = sku
        self.productID = productID
        self.variantID = variantID
        self.title = title
        self.quantity = quantity
        self.unitPriceMinor = unitPriceMinor
        self.taxMinor = taxMinor
        self.category = category
        self.finalSale = finalSale
    }
}

/// Why an order document was refused: the field (as the document names it) and what to do.
public struct OrderProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
