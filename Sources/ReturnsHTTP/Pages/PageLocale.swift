import Foundation
import ReturnsCore

/// The language of a customer page and how it writes dates and money: chosen from the page's `lang` switch, else
/// the return's locale, else the browser's Accept-Language, among the locales there are texts for. Made once per
/// page, with its date formatters (a DateFormatter is costly to make; a page writes a date per history line).
struct PageLocale {
    let identifier: String
    let texts: StatusTexts
    /// Every locale there are texts for, for the language switch.
    let available: [String]
    private let dayFormatter: DateFormatter
    private let momentFormatter: DateFormatter

    /// Languages written right to left.
    static let rightToLeft: Set<String> = ["ar", "he", "fa", "ur"]

    init(catalog: StatusTextCatalog, choice: String?, acceptLanguage: String?) {
        let available = catalog.locales.keys.sorted()
        let wanted = [choice].compactMap { $0 } + Self.languages(acceptLanguage) + ["en"]
        let known = Set(available)
        let chosen =
            wanted.lazy.compactMap { wanted in
                known.contains(wanted) ? wanted : (known.contains(Self.language(wanted)) ? Self.language(wanted) : nil)
            }.first ?? "en"
        let (locale, texts) = catalog.texts(for: chosen)
        self.identifier = locale
        self.texts = texts
        self.available = available
        dayFormatter = Self.formatter(locale, time: false)
        momentFormatter = Self.formatter(locale, time: true)
    }

    var direction: String { Self.rightToLeft.contains(Self.language(identifier)) ? "rtl" : "ltr" }

    /// The label `key` with its `{name}`s filled in, escaped for HTML.
    func text(_ key: String, _ values: [String: String] = [:]) -> String { HTMLText.escape(texts.label(key, values)) }

    /// The name of `locale` in its own language ("Deutsch"), for the language switch.
    static func nativeName(_ locale: String) -> String {
        let identifier = Locale(identifier: locale)
        let name = identifier.localizedString(forIdentifier: locale) ?? locale
        return name.prefix(1).uppercased() + name.dropFirst()
    }

    func money(_ minorUnits: Int64, _ currency: Currency) -> String {
        Money(minorUnits: minorUnits, currency: currency).formatted(locale: identifier)
    }

    func day(_ date: Date) -> String { dayFormatter.string(from: date) }
    func moment(_ date: Date) -> String { momentFormatter.string(from: date) }

    static func formatter(_ identifier: String, time: Bool) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: identifier)
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateStyle = .medium
        formatter.timeStyle = time ? .short : .none
        return formatter
    }

    /// The languages of an Accept-Language header, most wanted first (`q` weights; `*` ignored).
    static func languages(_ header: String?) -> [String] {
        guard let header else { return [] }
        let weighted = header.split(separator: ",").enumerated().compactMap { index, part -> (String, Double, Int)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, !tag.isEmpty, tag != "*", tag.count <= 35 else { return nil }
            let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0 ? (normal(tag), q, index) : nil
        }
        return weighted.sorted { ($0.1, -$0.2) > ($1.1, -$1.2) }.map(\.0)
    }

    /// `pt-br` and `pt_BR` as the texts name them, `pt-BR`; `zh-hans` is `zh-CN`, `zh-hant` `zh-TW`.
    static func normal(_ tag: String) -> String {
        let parts = tag.replacingOccurrences(of: "_", with: "-").split(separator: "-").map(String.init)
        guard let first = parts.first?.lowercased() else { return tag }
        guard parts.count > 1 else { return first }
        let second = parts[1]
        if first == "zh", second.lowercased() == "hans" { return "zh-CN" }
        if first == "zh", second.lowercased() == "hant" { return "zh-TW" }
        return second.count == 2 ? "\(first)-\(second.uppercased())" : first
    }

    static func language(_ locale: String) -> String { String(locale.prefix { $0 != "-" }) }
}
