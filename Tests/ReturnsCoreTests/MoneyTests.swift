import Foundation
import ReturnsCore
import Testing

@Suite("Money")
struct MoneyTests {
    @Test(
        "a decimal amount is parsed into integer minor units of its currency",
        arguments: [
            ("19.99", "USD", 1999 as Int64),
            ("19.9", "USD", 1990),
            ("19", "USD", 1900),
            ("0.05", "EUR", 5),
            ("1500", "JPY", 1500),
            ("1.234", "KWD", 1234),
            ("1.2", "KWD", 1200),
            ("-5.00", "USD", -500),
            (" 7.50 ", "USD", 750),
            ("92233720368547758.07", "USD", Int64.max),
        ])
    func parsesAmount(text: String, code: String, minorUnits: Int64) throws {
        let currency = try Currency(code: code)
        let money = try Money.parse(text, currency: currency)
        #expect(money == Money(minorUnits: minorUnits, currency: currency))
    }

    @Test(
        "more fraction digits than the currency has is refused, naming the allowed count",
        arguments: [("1.5", "JPY", 0), ("19.999", "USD", 2), ("1.2345", "KWD", 3), ("0.10", "ISK", 0)])
    func tooManyFractionDigits(text: String, code: String, allowed: Int) throws {
        let currency = try Currency(code: code)
        #expect(throws: MoneyError.tooManyFractionDigits(text, currency: code, allowed: allowed)) {
            try Money.parse(text, currency: currency)
        }
    }

    @Test(
        "text that is not a plain decimal is refused",
        arguments: [
            "abc", "", " ", "1.", ".5", "1,50", "1.2.3", "-", "--1", "+5", "1e3", "1 000", "12\u{0661}", "\u{FF11}",
        ])
    func notADecimal(text: String) throws {
        let usd = try Currency(code: "USD")
        #expect(throws: MoneyError.notADecimal(text)) { try Money.parse(text, currency: usd) }
    }

    @Test("an amount beyond 64-bit minor units is refused as out of range")
    func outOfRange() throws {
        let usd = try Currency(code: "USD")
        #expect(throws: MoneyError.outOfRange("92233720368547758.08")) {
            try Money.parse("92233720368547758.08", currency: usd)
        }
    }

    @Test(
        "decimalString writes back exactly what was parsed",
        arguments: [
            ("19.99", "USD"), ("0.05", "USD"), ("0.00", "USD"), ("-0.50", "EUR"), ("1500", "JPY"), ("0", "JPY"),
            ("1.234", "KWD"), ("0.001", "KWD"), ("-12.340", "BHD"),
        ])
    func decimalStringRoundTrip(text: String, code: String) throws {
        let money = try Money.parse(text, currency: try Currency(code: code))
        #expect(money.decimalString == text)
        #expect(try Money.parse(money.decimalString, currency: money.currency) == money)
    }

    @Test("the smallest possible amount still prints its sign and digits")
    func decimalStringOfMinimum() throws {
        let money = Money(minorUnits: .min, currency: try Currency(code: "USD"))
        #expect(money.decimalString == "-92233720368547758.08")
    }

    @Test("an amount describes itself with its currency code")
    func description() throws {
        #expect(Money(minorUnits: 1999, currency: try Currency(code: "usd")).description == "19.99 USD")
        #expect(Money(minorUnits: 1500, currency: try Currency(code: "JPY")).description == "1500 JPY")
    }

    @Test("multiplying by a quantity multiplies the minor units")
    func times() throws {
        let price = Money(minorUnits: 1999, currency: try Currency(code: "USD"))
        #expect(try price.times(3) == Money(minorUnits: 5997, currency: price.currency))
        #expect(try price.times(0).minorUnits == 0)
    }

    @Test("multiplying past 64-bit minor units is refused, not wrapped")
    func timesOverflow() throws {
        let price = Money(minorUnits: Int64.max / 2 + 1, currency: try Currency(code: "USD"))
        #expect(throws: MoneyError.outOfRange("46116860184273879.04 x 2")) { try price.times(2) }
        #expect(throws: MoneyError.self) { try Money(minorUnits: .min, currency: price.currency).times(-1) }
    }

    @Test("refusal messages quote the amount and say how to write it")
    func errorDescriptions() {
        #expect(MoneyError.notADecimal("1,50").description == "'1,50' is not a decimal amount; write it like 19.99")
        #expect(
            MoneyError.tooManyFractionDigits("1.5", currency: "JPY", allowed: 0).description
                == "'1.5' has more than 0 fraction digits, which JPY does not have")
        #expect(MoneyError.outOfRange("9e99").description == "'9e99' is too large an amount")
        #expect(MoneyError.currencyMismatch("USD", "EUR").description == "cannot combine amounts in USD and EUR")
    }

    @Test("money is stored in JSON as minor units and a currency code")
    func codable() throws {
        let money = Money(minorUnits: 8990, currency: try Currency(code: "EUR"))
        let decoded = try JSONDecoder().decode(Money.self, from: try JSONEncoder().encode(money))
        #expect(decoded == money)
        let fromText = try JSONDecoder().decode(
            Money.self, from: Data(#"{"minorUnits": 1234, "currency": "kwd"}"#.utf8))
        #expect(fromText.description == "1.234 KWD")
    }
}
