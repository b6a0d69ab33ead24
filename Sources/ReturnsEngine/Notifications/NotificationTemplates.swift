import Foundation
import ReturnsCore

/// Every template of `Workflows/notifications/<locale>/<template>.mustache`, parsed once.
public struct NotificationTemplates: Sendable {
    public static let fallbackLocale = "en"

    /// locale → template name → template.
    public var byLocale: [String: [String: NotificationTemplate]]
    /// Files that did not parse.
    public var errors: [TemplateError]

    public var locales: [String] { byLocale.keys.sorted() }

    /// Reads `folder` (the `notifications` folder); a missing folder gives no templates.
    public static func load(folder: URL) -> NotificationTemplates {
        var byLocale: [String: [String: NotificationTemplate]] = [:]
        var errors: [TemplateError] = []
        let fileManager = FileManager.default
        let locales = ((try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for locale in locales {
            let localeFolder = folder.appendingPathComponent(locale)
            var isFolder: ObjCBool = false
            guard fileManager.fileExists(atPath: localeFolder.path, isDirectory: &isFolder), isFolder.boolValue else {
                continue
            }
            var templates: [String: NotificationTemplate] = [:]
            let names = ((try? fileManager.contentsOfDirectory(atPath: localeFolder.path)) ?? []).sorted()
            for file in names where file.hasSuffix(".mustache") {
                let path = localeFolder.appendingPathComponent(file).path
                let display = WorkflowCatalog.displayPath(path)
                let name = String(file.dropLast(".mustache".count))
                guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
                    errors.append(TemplateError(path: display, line: 1, reason: "cannot read this file as UTF-8"))
                    continue
                }
                do {
                    templates[name] = try NotificationTemplate(
                        name: name, locale: locale, path: display, source: source)
                } catch {
                    errors.append(error)
                }
            }
            byLocale[locale] = templates
        }
        return NotificationTemplates(byLocale: byLocale, errors: errors)
    }

    /// The template for a customer's locale: `pt-BR`, else `pt`, else `en`.
    public func template(named name: String, locale: String) -> NotificationTemplate? {
        var candidates = [locale]
        if let dash = locale.firstIndex(of: "-") { candidates.append(String(locale[..<dash])) }
        candidates.append(Self.fallbackLocale)
        for candidate in candidates {
            if let template = byLocale[candidate]?[name] { return template }
        }
        return nil
    }

    /// What `returns workflow check` reports about the templates the workflows use: files that do not parse and
    /// variables no transition provides are errors, and so is a locale without a translation of a template a workflow
    /// sends (its customers would get the English text). A template missing in `en` is the validator's error already.
    public func problems(for files: [WorkflowFile]) -> [WorkflowProblem] {
        var problems = errors.map { WorkflowProblem(file: $0.path, line: $0.line, message: $0.reason) }
        var warned: Set<String> = []
        var reported: Set<String> = []
        for file in files {
            let display = WorkflowCatalog.displayPath(file.path)
            for transition in file.definition.transitions {
                for case .notify(let name) in transition.actions {
                    for locale in locales where byLocale[locale]?[name] == nil && locale != Self.fallbackLocale {
                        if warned.insert("\(locale)/\(name)").inserted {
                            problems.append(
                                WorkflowProblem(
                                    file: display, line: transition.line,
                                    message: "template '\(name)' has no '\(locale)' translation "
                                        + "(notifications/\(locale)/\(name).mustache); customers with locale "
                                        + "\(locale) would get the \(Self.fallbackLocale) text: add the translation"))
                        }
                    }
                    let provided = NotificationVariables.provided(by: transition)
                    for locale in locales {
                        guard let template = byLocale[locale]?[name] else { continue }
                        let probe = VariableProbe(provided: provided)
                        _ = template.render(probe)
                        for variable in probe.unknown where reported.insert("\(template.path)|\(variable)").inserted {
                            problems.append(
                                WorkflowProblem(
                                    file: template.path, line: template.line(of: variable),
                                    message: "'{{\(variable)}}' is not provided when \(display):\(transition.line) "
                                        + "(\(transition.from) --\(transition.event)--> \(transition.to)) sends "
                                        + "'\(name)'; it would reach the customer empty. Provided there: "
                                        + provided.sorted().joined(separator: ", ")
                                        + (transition.guardName == nil
                                            ? " (event data is provided only for keys a guard requires)" : "")))
                        }
                    }
                }
            }
        }
        return problems
    }
}
