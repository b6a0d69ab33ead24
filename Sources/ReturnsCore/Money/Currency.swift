/// An ISO 4217 currency with its number of minor-unit digits.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    /// Looks up a currency by its ISO 4217 code (case-insensitive).
    public init(code: String) throws(MoneyError) {
        let upper = code.uppercased()
        guard let exponent = Currency.exponents[upper] else { throw .unknownCurrency(code) }
        self.code = upper
        self.exponent = exponent
    }

    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        try self.init(code: code)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }

    // ISO 4217 minor units for the currencies retailers settle in; extend as markets are added.
    static let exponents: [String: Int] = [
        "AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
        "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
        "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2,
        "OMR": 3, "PHP": 2, "PLN": 2, "RON": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2,
        "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
    ]
}
