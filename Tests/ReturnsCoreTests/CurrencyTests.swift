import Foundation
import ReturnsCore
import Testing

@Suite("Currency")
struct CurrencyTests {
    @Test(
        "an ISO 4217 code is accepted in any case and knows its minor-unit digits",
        arguments: [("USD", "USD", 2), ("eur", "EUR", 2), ("Jpy", "JPY", 0), ("KWD", "KWD", 3), ("isk", "ISK", 0)])
    func knownCode(text: String, code: String, exponent: Int) throws {
        let currency = try Currency(code: text)
        #expect(currency.code == code)
        #expect(currency.exponent == exponent)
        #expect(currency.description == code)
    }

    @Test(
        "a code the engine does not know is refused, naming the code as written",
        arguments: ["XXX", "usd1", "", "US", " USD"])
    func unknownCode(text: String) {
        #expect(throws: MoneyError.unknownCurrency(text)) { try Currency(code: text) }
    }

    @Test("an unknown currency's message says what a valid code looks like")
    func unknownCurrencyMessage() {
        #expect(
            MoneyError.unknownCurrency("XXX").description
                == "'XXX' is not an ISO 4217 currency code this engine knows (for example USD, EUR, JPY)")
    }

    @Test("a currency is written to JSON as its code and read back from any case")
    func codable() throws {
        let encoded = try JSONEncoder().encode([try Currency(code: "chf")])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["CHF"]"#)
        let decoded = try JSONDecoder().decode([Currency].self, from: Data(#"["gbp"]"#.utf8))
        #expect(decoded == [try Currency(code: "GBP")])
        #expect(throws: MoneyError.unknownCurrency("ABC")) {
            try JSONDecoder().decode([Currency].self, from: Data(#"["ABC"]"#.utf8))
        }
    }
}
