import Foundation

extension Money {
    /// The amount as `locale` writes it (ICU's data through Foundation): with the currency's symbol ("79,90 €",
    /// "€79.90"), or, `withCode`, the number in the locale's digits and separators followed by the ISO code
    /// ("79,90 EUR"), as plain-text mail writes it.
    public func formatted(locale identifier: String, withCode: Bool = false) -> String {
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: identifier)
        formatter.numberStyle = withCode ? .decimal : .currency
        if !withCode { formatter.currencyCode = currency.code }
        formatter.minimumFractionDigits = currency.exponent
        formatter.maximumFractionDigits = currency.exponent
        guard let decimal = Decimal(string: decimalString, locale: Locale(identifier: "en_US_POSIX")),
            let text = formatter.string(from: decimal as NSDecimalNumber)
        else { return description }
        return withCode ? "\(text) \(currency.code)" : text
    }
}
