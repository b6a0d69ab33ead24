import Foundation
import Mustache
import ReturnsCore

/// One notification template in one locale: a subject, a plain-text body and an HTML body.
///
/// The file is Mustache with three parts, each started by a comment line: `{{! subject }}`, `{{! text }}` and
/// `{{! html }}`. Subject and text are rendered without HTML escaping, the HTML part with it.
public struct NotificationTemplate: Sendable {
    public enum Part: String, Sendable, CaseIterable {
        case subject, text, html
    }

    public var name: String
    public var locale: String
    public var path: String
    /// The file's text, to locate variables by line.
    public var source: String
    var parts: [Part: MustacheTemplate]

    /// Parses a template file's text; the error says which part and line is wrong.
    public init(name: String, locale: String, path: String, source: String) throws(TemplateError) {
        self.name = name
        self.locale = locale
        self.path = path
        self.source = source
        var texts: [Part: [String]] = [:]
        var firstLines: [Part: Int] = [:]
        var current: Part?
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let part = Self.marker(line) {
                guard texts[part] == nil else {
                    throw TemplateError(
                        path: path, line: index + 1, reason: "the part '\(part.rawValue)' appears twice")
                }
                current = part
                texts[part] = []
                firstLines[part] = index + 2
            } else if let current {
                texts[current]?.append(String(line))
            } else if !line.allSatisfy(\.isWhitespace) {
                throw TemplateError(
                    path: path, line: index + 1,
                    reason:
                        "text before the first part; start the file with {{! subject }}, then {{! text }} and {{! html }}"
                )
            }
        }
        var parts: [Part: MustacheTemplate] = [:]
        for part in Part.allCases {
            guard let lines = texts[part] else {
                throw TemplateError(
                    path: path, line: 1,
                    reason: "no {{! \(part.rawValue) }} part; a template has subject, text and html")
            }
            var body = lines
            while body.last?.allSatisfy(\.isWhitespace) == true { body.removeLast() }
            let text = body.joined(separator: "\n")
            if text.allSatisfy(\.isWhitespace) {
                throw TemplateError(
                    path: path, line: firstLines[part] ?? 1, reason: "the \(part.rawValue) part is empty")
            }
            do {
                // Subject and text are not HTML: a customer's "&" must stay "&" there. The HTML part escapes on
                // Unicode scalars (Mustache's own HTML escaping compares Characters, which a combining mark defeats).
                Self.registerContentTypes
                parts[part] = try MustacheTemplate(
                    string: (part == .html ? "{{% CONTENT_TYPE: \(ScalarHTML.name)}}" : "{{% CONTENT_TYPE: TEXT}}") + text)
            } catch let error as MustacheTemplate.ParserError {
                throw TemplateError(
                    path: path, line: (firstLines[part] ?? 1) + error.context.lineNumber - 1,
                    reason:
                        "Mustache cannot parse the \(part.rawValue) part: \(error.error) near '\(error.context.line)'")
            } catch {
                throw TemplateError(
                    path: path, line: firstLines[part] ?? 1, reason: "Mustache cannot parse it: \(error)")
            }
        }
        self.parts = parts
    }

    /// Registers `ScalarHTML` with Mustache once, before any template is parsed.
    static let registerContentTypes: Void = MustacheContentTypes.register(ScalarHTML(), named: ScalarHTML.name)

    static func marker(_ line: Substring) -> Part? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{{!"), trimmed.hasSuffix("}}") else { return nil }
        let word = trimmed.dropFirst(3).dropLast(2).trimmingCharacters(in: .whitespaces)
        return Part(rawValue: word)
    }

    /// Renders every part with `variables` (or any Mustache context object).
    public func render(_ variables: Any) -> RenderedNotification {
        func part(_ part: Part) -> String { parts[part]?.render(variables) ?? "" }
        // A subject is one line, whatever the data contains.
        let subject = part(.subject).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return RenderedNotification(subject: subject, text: part(.text) + "\n", html: part(.html) + "\n")
    }

    /// The 1-based line of the first tag naming `variable`, for pointing at it.
    func line(of variable: String) -> Int {
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.range(
            of: #"\{\{[#^/&{]?\s*"# + NSRegularExpression.escapedPattern(for: variable) + #"\b"#,
            options: .regularExpression) != nil
        {
            return index + 1
        }
        return 1
    }
}

/// HTML escaping on Unicode scalars, for the HTML part of notifications.
struct ScalarHTML: MustacheContentType {
    static let name = "SCALAR_HTML"

    func escapeText(_ text: String) -> String { HTMLText.escape(text) }
}

/// A notification ready for a channel.
public struct RenderedNotification: Sendable, Hashable, Codable {
    public var subject: String
    public var text: String
    public var html: String
}

/// A template file that cannot be used, with where and why.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var reason: String

    public var description: String { "\(path):\(line): \(reason)" }
}
