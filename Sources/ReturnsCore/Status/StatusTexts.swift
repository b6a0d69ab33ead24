import Foundation
import Yams

/// What the customer's status page and status API say in one locale: page labels, a text per state and the
/// next step per state. English state texts are the workflows' own descriptions.
public struct StatusTexts: Sendable, Hashable, Codable {
    public var labels: [String: String]
    public var states: [String: String]
    public var next: [String: String]

    public init(labels: [String: String] = [:], states: [String: String] = [:], next: [String: String] = [:]) {
        self.labels = labels
        self.states = states
        self.next = next
    }

    enum CodingKeys: String, CodingKey { case labels, states, next }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        states = try container.decodeIfPresent([String: String].self, forKey: .states) ?? [:]
        next = try container.decodeIfPresent([String: String].self, forKey: .next) ?? [:]
    }

    /// The label keys every locale must translate (English has them all).
    public static let labelKeys = [
        "title", "order", "status", "next_step", "expected_by", "history", "refund", "refund_pending", "refund_sent",
        "cancel", "cancelled_notice", "not_found_title", "not_found_text",
    ]
}

/// The status texts of every locale in `Workflows/status/<locale>.yaml`.
public struct StatusTextCatalog: Sendable {
    public var locales: [String: StatusTexts]

    public init(locales: [String: StatusTexts]) {
        self.locales = locales
    }

    /// The texts for `locale`: the locale itself, then its language (`pt` for `pt-BR`), then English.
    public func texts(for locale: String) -> (locale: String, texts: StatusTexts) {
        let language = String(locale.prefix { $0 != "-" })
        for candidate in [locale, language, "en"] {
            if let texts = locales[candidate] { return (candidate, texts) }
        }
        return ("en", StatusTexts())
    }

    /// Reads every `*.yaml` in `folder`; a file that does not parse is a problem, as is a missing English file,
    /// a label a locale lacks, or a state (of `states`) that a non-English locale does not translate. Without the
    /// folder there is only a warning.
    public static func load(folder: URL, states: Set<String>) -> (StatusTextCatalog, [WorkflowProblem]) {
        var locales: [String: StatusTexts] = [:]
        var problems: [WorkflowProblem] = []
        guard FileManager.default.fileExists(atPath: folder.path) else {
            let warning = WorkflowProblem(
                file: "Workflows/status", line: 1, message: "no status texts; the status page shows untranslated labels",
                severity: .warning)
            return (StatusTextCatalog(locales: [:]), [warning])
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasSuffix(".yaml")
        }.sorted()
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let display = "Workflows/status/\(name)"
            let locale = String(name.dropLast(".yaml".count))
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let texts = try YAMLDecoder().decode(StatusTexts.self, from: text)
                for key in StatusTexts.labelKeys where texts.labels[key]?.isEmpty != false {
                    problems.append(WorkflowProblem(file: display, line: 1, message: "labels.\(key) is missing"))
                }
                if locale != "en" {
                    for state in states.sorted() where texts.states[state]?.isEmpty != false {
                        problems.append(
                            WorkflowProblem(file: display, line: 1, message: "states.\(state) is missing (a workflow has it)"))
                    }
                }
                locales[locale] = texts
            } catch {
                problems.append(WorkflowProblem(file: display, line: 1, message: "cannot read this file: \(error)"))
            }
        }
        if locales["en"] == nil {
            problems.append(
                WorkflowProblem(file: "Workflows/status/en.yaml", line: 1, message: "the English status texts are missing"))
        }
        return (StatusTextCatalog(locales: locales), problems)
    }
}
