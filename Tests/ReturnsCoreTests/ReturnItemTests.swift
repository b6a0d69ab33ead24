import ReturnsCore
import Testing

@Suite("Return item")
struct ReturnItemTests {
    @Test("SKU:QTY:UNIT_PRICE:CURRENCY is read into an item priced in minor units")
    func parsesItem() throws {
        let item = try ReturnItem.parse("SHOE-42:1:89.90:EUR")
        #expect(item.sku == "SHOE-42")
        #expect(item.quantity == 1)
        #expect(item.unitPrice == Money(minorUnits: 8990, currency: try Currency(code: "EUR")))
    }

    @Test("the currency may be written in lower case")
    func lowerCaseCurrency() throws {
        let item = try ReturnItem.parse("MUG:2:1500:jpy")
        #expect(item.unitPrice.currency.code == "JPY")
        #expect(item.unitPrice.minorUnits == 1500)
    }

    @Test("the line total is the unit price times the quantity")
    func lineTotal() throws {
        let item = try ReturnItem.parse("SOCK-3PK:3:4.50:USD")
        #expect(try item.lineTotal == Money(minorUnits: 1350, currency: try Currency(code: "USD")))
    }

    @Test("the largest quantity and longest SKU are still accepted")
    func boundaries() throws {
        let sku = String(repeating: "S", count: 64)
        let item = try ReturnItem.parse("\(sku):10000:0.01:GBP")
        #expect(item.sku == sku)
        #expect(item.quantity == 10000)
        #expect(try item.lineTotal.minorUnits == 10000)
    }

    @Test(
        "a badly written item is refused with the item text and what is wrong with it",
        arguments: [
            ("SHOE-42:1:89.90", "expected SKU:QTY:UNIT_PRICE:CURRENCY[:CATEGORY[:REASON]], like SHOE-42:1:89.90:EUR"),
            ("SHOE-42:1:89.90:EUR:shoes:doesnt_fit:extra", "expected SKU:QTY:UNIT_PRICE:CURRENCY[:CATEGORY[:REASON]], like SHOE-42:1:89.90:EUR"),
            ("", "expected SKU:QTY:UNIT_PRICE:CURRENCY[:CATEGORY[:REASON]], like SHOE-42:1:89.90:EUR"),
            ("SHOE-42:1:89.90:EUR:shoes wear", "category 'shoes wear' must be 1 to 64 letters, digits, '_' or '-'"),
            ("SHOE-42:1:89.90:EUR:shoes:", "reason '' must be 1 to 64 letters, digits, '_' or '-'"),
            ("SHOE-42:0:89.90:EUR", "quantity '0' must be a whole number from 1 to 10000"),
            ("SHOE-42:-1:89.90:EUR", "quantity '-1' must be a whole number from 1 to 10000"),
            ("SHOE-42:x:89.90:EUR", "quantity 'x' must be a whole number from 1 to 10000"),
            ("SHOE-42:10001:89.90:EUR", "quantity '10001' must be a whole number from 1 to 10000"),
            ("SHOE-42:1.5:89.90:EUR", "quantity '1.5' must be a whole number from 1 to 10000"),
            (
                "SHOE-42:1:89.90:XYZ",
                "'XYZ' is not an ISO 4217 currency code this engine knows (for example USD, EUR, JPY)"
            ),
            ("SHOE-42:1:89.901:EUR", "'89.901' has more than 2 fraction digits, which EUR does not have"),
            ("SHOE-42:1:89,90:EUR", "'89,90' is not a decimal amount; write it like 19.99"),
            ("SHOE-42:1:-5.00:EUR", "unit price must not be negative"),
            (":1:89.90:EUR", "SKU must be 1 to 64 characters without spaces"),
            ("SHOE 42:1:89.90:EUR", "SKU must be 1 to 64 characters without spaces"),
            ("\(String(repeating: "S", count: 65)):1:89.90:EUR", "SKU must be 1 to 64 characters without spaces"),
        ])
    func refusesItem(text: String, reason: String) throws {
        let error = try #require(throws: ReturnItemError.self) { try ReturnItem.parse(text) }
        #expect(error == ReturnItemError(text, reason))
        #expect(error.description == "item '\(text)': \(reason)")
    }
}
