import Foundation
import Yams

/// What the customer's pages (the portal, the status page, the return authorisation) and the status API say in one
/// locale: page labels, a text per state, the next step per state, the return reasons and the reasons of a "no" to
/// "Did we resolve your problem?". English state texts are the workflows' own descriptions.
public struct StatusTexts: Sendable, Hashable, Codable {
    public var labels: [String: String]
    public var states: [String: String]
    public var next: [String: String]
    public var reasons: [String: String]
    public var feedbackReasons: [String: String]

    public init(
        labels: [String: String] = [:], states: [String: String] = [:], next: [String: String] = [:],
        reasons: [String: String] = [:], feedbackReasons: [String: String] = [:]
    ) {
        self.labels = labels
        self.states = states
        self.next = next
        self.reasons = reasons
        self.feedbackReasons = feedbackReasons
    }

    enum CodingKeys: String, CodingKey {
        case labels, states, next, reasons
        case feedbackReasons = "feedback_reasons"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        states = try container.decodeIfPresent([String: String].self, forKey: .states) ?? [:]
        next = try container.decodeIfPresent([String: String].self, forKey: .next) ?? [:]
        reasons = try container.decodeIfPresent([String: String].self, forKey: .reasons) ?? [:]
        feedbackReasons = try container.decodeIfPresent([String: String].self, forKey: .feedbackReasons) ?? [:]
    }

    /// The names in braces a text has (`{date}`), which the service fills in and a translation must keep.
    public static func placeholders(_ text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names.sorted()
    }

    /// `labels[key]` with each `{name}` replaced by its value; the key itself when the label is missing.
    public func label(_ key: String, _ values: [String: String] = [:]) -> String {
        var text = labels[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    /// The labels the customer pages use: English must have each, and every other locale what English has.
    public static let labelKeys = [
        "back", "back_to_status", "cancel", "cancelled_notice", "change_language", "choose_items", "choose_reason",
        "confirm", "confirmed_text", "confirmed_title", "continue", "credit", "credit_bonus", "difference_charged",
        "difference_credited", "difference_even", "difference_refunded", "email", "error_choose_item",
        "error_choose_reason", "error_choose_variant", "error_comment_too_long", "error_feedback_closed",
        "error_form_expired", "error_order_not_found", "error_proof", "error_quantity", "error_required",
        "error_summary", "error_too_many_lookups", "error_try_again", "error_unavailable", "estimate_charge",
        "estimate_credit", "estimate_note", "estimate_refund", "exchange_difference", "exchange_variant",
        "expected_by", "feedback_change_until", "feedback_comment", "feedback_follow_up", "feedback_no",
        "feedback_question", "feedback_reason", "feedback_send", "feedback_thanks", "feedback_yes", "find_order",
        "history", "item_value", "items", "label_cost", "label_instructions", "label_items", "label_keep_it",
        "label_reference", "label_ship_by", "label_ship_to", "label_title", "language", "next_step",
        "no_exchange_in_stock", "not_found_text", "not_found_title", "not_returnable_blocked",
        "not_returnable_category", "not_returnable_final_sale", "not_returnable_returned", "not_returnable_window",
        "of_quantity", "order", "order_number", "order_number_hint", "ordered_on", "portal_intro", "portal_title",
        "postal_code", "postal_code_hint", "print", "print_label", "quantity", "reason", "refund", "refund_pending",
        "refund_sent", "resolution", "resolution_exchange", "resolution_refund", "resolution_store_credit",
        "restocking_fee", "return_this", "review_title", "skip_to_content", "status", "store_credit_bonus", "title",
        "unit_price",
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

    /// Reads every `*.yaml` in `folder`; a file that does not parse is a problem, as is a missing English file, a
    /// state (of `states`) or a reason code (of `reasons`) a locale does not translate, and a label, next step or
    /// feedback reason English has that another locale lacks or words differently in braces. Without the folder
    /// there is only a warning.
    public static func load(folder: URL, states: Set<String>, reasons: Set<String> = [])
        -> (StatusTextCatalog, [WorkflowProblem])
    {
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
        var sources: [String: String] = [:]
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let display = "Workflows/status/\(name)"
            let locale = String(name.dropLast(".yaml".count))
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                locales[locale] = try YAMLDecoder().decode(StatusTexts.self, from: text)
                sources[locale] = text
            } catch {
                problems.append(WorkflowProblem(file: display, line: 1, message: "cannot read this file: \(error)"))
            }
        }
        guard let english = locales["en"] else {
            problems.append(
                WorkflowProblem(file: "Workflows/status/en.yaml", line: 1, message: "the English status texts are missing"))
            return (StatusTextCatalog(locales: locales), problems)
        }
        for key in StatusTexts.labelKeys where english.labels[key]?.isEmpty != false {
            problems.append(WorkflowProblem(file: "Workflows/status/en.yaml", line: 1, message: "labels.\(key) is missing"))
        }
        for (locale, texts) in locales.sorted(by: { $0.key < $1.key }) {
            let display = "Workflows/status/\(locale).yaml"
            let source = sources[locale] ?? ""
            func problem(_ section: String, _ key: String, _ message: String) {
                problems.append(
                    WorkflowProblem(file: display, line: line(of: key, in: source), message: "\(section).\(key) \(message)"))
            }
            for reason in reasons.sorted() where texts.reasons[reason]?.isEmpty != false {
                problem("reasons", reason, "is missing (policy.yaml reason_codes has it)")
            }
            guard locale != "en" else { continue }
            for state in states.sorted() where texts.states[state]?.isEmpty != false {
                problem("states", state, "is missing (a workflow has it)")
            }
            let sections: [(String, [String: String], [String: String])] = [
                ("labels", english.labels, texts.labels), ("next", english.next, texts.next),
                ("feedback_reasons", english.feedbackReasons, texts.feedbackReasons),
            ]
            for (section, wanted, given) in sections {
                for (key, text) in wanted.sorted(by: { $0.key < $1.key }) {
                    guard let translated = given[key], !translated.isEmpty else {
                        problem(section, key, "is missing (en.yaml has it)")
                        continue
                    }
                    if StatusTexts.placeholders(translated) != StatusTexts.placeholders(text) {
                        problem(
                            section, key,
                            "must keep \(StatusTexts.placeholders(text).map { "{\($0)}" }.joined(separator: ", ")) as English has "
                                + "(found \(StatusTexts.placeholders(translated).map { "{\($0)}" }.joined(separator: ", ")))")
                    }
                }
            }
        }
        return (StatusTextCatalog(locales: locales), problems)
    }

    /// The line of `source` where `key:` is written, for a problem to point at; 1 when it is not there.
    static func line(of key: String, in source: String) -> Int {
        for (index, text) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where text.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") {
            return index + 1
        }
        return 1
    }
}
