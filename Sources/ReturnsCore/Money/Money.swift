import Foundation

/// An amount of money in integer minor units (cents, yen, fils) of one ISO 4217 currency. Never floating point.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Parses a decimal string such as "19.99" in `currency`, refusing more fraction digits than the currency has.
    public static func parse(_ text: String, currency: Currency) throws(MoneyError) -> Money {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var digits = Substring(trimmed)
        var isNegative = false
        if digits.first == "-" {
            isNegative = true
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit),
            parts.count == 1 || !fraction.isEmpty
        else {
            throw .notADecimal(text)
        }
        guard fraction.count <= currency.exponent else {
            throw .tooManyFractionDigits(text, currency: currency.code, allowed: currency.exponent)
        }
        let paddedFraction = fraction + String(repeating: "0", count: currency.exponent - fraction.count)
        guard let value = Int64(whole + paddedFraction) else { throw .outOfRange(text) }
        return Money(minorUnits: isNegative ? -value : value, currency: currency)
    }

    /// The amount as a decimal string with the currency's number of fraction digits ("19.99", "1500").
    public var decimalString: String {
        let exponent = currency.exponent
        let magnitude = minorUnits.magnitude
        let sign = minorUnits < 0 ? "-" : ""
        guard exponent > 0 else { return sign + String(magnitude) }
        var divisor: UInt64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let fraction = String(magnitude % divisor)
        return sign + String(magnitude / divisor) + "."
            + String(repeating: "0", count: exponent - fraction.count) + fraction
    }

    public var description: String { "\(decimalString) \(currency.code)" }

    /// A stored amount as a decimal string in its currency; the bare minor units when the code is not one we know.
    public static func decimalString(minorUnits: Int64, currencyCode: String) -> String {
        (try? Currency(code: currencyCode)).map { Money(minorUnits: minorUnits, currency: $0).decimalString }
            ?? String(minorUnits)
    }

    /// Multiplies by an item quantity, refusing overflow.
    public func times(_ quantity: Int) throws(MoneyError) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: Int64(quantity))
        guard !overflow else { throw .outOfRange("\(decimalString) x \(quantity)") }
        return Money(minorUnits: product, currency: currency)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Why a money amount or currency was refused.
public enum MoneyError: Error, Equatable, Sendable, CustomStringConvertible {
    case notADecimal(String)
    case tooManyFractionDigits(String, currency: String, allowed: Int)
    case outOfRange(String)
    case unknownCurrency(String)
    case currencyMismatch(String, String)

    public var description: String {
        switch self {
        case .notADecimal(let text):
            return "'\(text)' is not a decimal amount; write it like 19.99"
        case .tooManyFractionDigits(let text, let currency, let allowed):
            return "'\(text)' has more than \(allowed) fraction digits, which \(currency) does not have"
        case .outOfRange(let text):
            return "'\(text)' is too large an amount"
        case .unknownCurrency(let code):
            return "'\(code)' is not an ISO 4217 currency code this engine knows (for example USD, EUR, JPY)"
        case .currencyMismatch(let a, let b):
            return "cannot combine amounts in \(a) and \(b)"
        }
    }
}
