import Foundation
import ReturnsCore
@testable import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

@Suite("Notification templates and the workflow check")
struct NotificationTemplateTests {
    static let workflows = TestDatabase.packageRoot.appendingPathComponent("Workflows")
    /// The twenty-one locales the customer texts ship in (right to left: ar, he).
    static let shippedLocales = [
        "ar", "cs", "da", "de", "en", "es", "fr", "he", "hi", "it", "ja", "ko", "nl", "pl", "pt", "pt-BR", "ru", "sv", "tr",
        "zh-CN", "zh-TW",
    ]
    static let templates = NotificationTemplates.load(folder: workflows.appendingPathComponent("notifications"))

    /// Every template a shipped workflow sends.
    static let used: [String] = {
        let catalog = WorkflowCatalog.load(folder: workflows)
        var names: Set<String> = []
        for file in catalog.files {
            for transition in file.definition.transitions {
                for case .notify(let name) in transition.actions { names.insert(name) }
            }
        }
        return names.sorted()
    }()

    @Test("the shipped workflows and templates pass the check without errors or warnings")
    func shippedAreClean() {
        let catalog = WorkflowCatalog.load(folder: Self.workflows)
        #expect(catalog.problems.map(\.description) == [])
        #expect(Self.templates.errors.isEmpty)
        #expect(Self.templates.locales == Self.shippedLocales)
        #expect(Self.used.count == 14)
    }

    @Test("every template renders in every shipped locale, in that locale's own file", arguments: shippedLocales)
    func rendersEverywhere(locale: String) throws {
        let payload = OutboxPayload(
            orderRef: "A-1001", event: "ship", state: "in_transit", statusToken: "tok123",
            data: ["tracking_number": .string("1Z999"), "reason": .string("box empty")], refundMinor: 10990,
            currency: "EUR")
        let variables = NotificationVariables.make(
            payload: payload, returnID: UUID(), locale: locale, publicBaseURL: "https://returns.example.com/")
        for name in Self.used {
            let template = try #require(Self.templates.template(named: name, locale: locale))
            #expect(template.locale == locale, "\(name) falls back to \(template.locale) for \(locale)")
            let rendered = template.render(variables)
            #expect(rendered.subject.contains("A-1001"), "\(locale)/\(name) subject: \(rendered.subject)")
            #expect(!rendered.subject.contains("\n"))
            for part in [rendered.subject, rendered.text, rendered.html] {
                #expect(!part.contains("{{") && !part.contains("}}"), "\(locale)/\(name): \(part)")
            }
            #expect(rendered.html.contains("<p>"))
            // Every customer mail links the status page, in its text and its HTML part.
            #expect(
                rendered.text.contains("https://returns.example.com/status/tok123"), "\(locale)/\(name) text: no status link")
            #expect(
                rendered.html.contains("href=\"https://returns.example.com/status/tok123\""),
                "\(locale)/\(name) html: no status link")
            if name == "refunded" {
                // The locale's decimal mark: a comma in most of Europe, a point in English and East Asia.
                let comma: Set<String> = ["cs", "da", "de", "es", "fr", "it", "nl", "pl", "pt", "pt-BR", "ru", "sv", "tr"]
                #expect(rendered.text.contains(comma.contains(locale) ? "109,90 EUR" : "109.90 EUR"), "\(locale)")
            }
            if name == "in_transit" { #expect(rendered.text.contains("1Z999")) }
        }
    }

    @Test("a locale without the template falls back to its language, then to en")
    func fallback() async throws {
        #expect(Self.templates.template(named: "received", locale: "pt-BR")?.locale == "pt-BR")
        #expect(Self.templates.template(named: "received", locale: "fi-FI")?.locale == "en")
        #expect(Self.templates.template(named: "received", locale: "de-AT")?.locale == "de")
        #expect(Self.templates.template(named: "nonexistent", locale: "de") == nil)
    }

    @Test("text parts are not HTML-escaped; the HTML part is")
    func escaping() async throws {
        let template = try NotificationTemplate(
            name: "t", locale: "en", path: "t.mustache",
            source:
                "{{! subject }}\nOrder {{order_ref}}\n{{! text }}\nHi {{order_ref}}\n{{! html }}\n<p>{{order_ref}}</p>\n"
        )
        let rendered = template.render(["order_ref": "R&D <1>"])
        #expect(rendered.subject == "Order R&D <1>")
        #expect(rendered.text == "Hi R&D <1>\n")
        #expect(rendered.html == "<p>R&amp;D &lt;1&gt;</p>\n")
    }

    @Test("the HTML part escapes < > & \" ' next to every combining mark and prefix; subject and text stay as given")
    func escapingOnScalars() async throws {
        let template = try NotificationTemplate(
            name: "t", locale: "en", path: "t.mustache",
            source: "{{! subject }}\nOrder {{order_ref}}\n{{! text }}\nHi {{order_ref}}\n{{! html }}\n<p>{{order_ref}}</p>\n")
        var joiners: [Unicode.Scalar] = [Unicode.Scalar(0x600)!, Unicode.Scalar(0x6DD)!, Unicode.Scalar(0x110BD)!]
        for value in 0x300...0x36F { joiners.append(Unicode.Scalar(value)!) }  // combining diacritical marks
        for value in 0x20D0...0x20FF { joiners.append(Unicode.Scalar(value)!) }  // combining marks for symbols
        for joiner in joiners {
            for special in ["<", ">", "&", "\"", "'"] {
                let value = String(Character(joiner)) + special + "a href=x" + String(Character(joiner))
                let html = template.render(["order_ref": value]).html
                let inner = html.dropFirst("<p>".count).dropLast("</p>\n".count)
                #expect(!inner.unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) }, "U+\(String(joiner.value, radix: 16))")
                #expect(template.render(["order_ref": value]).text == "Hi \(value)\n")
            }
        }
    }

    @Test("a template without all three parts is refused with its file and part")
    func missingPart() {
        #expect(throws: TemplateError.self) {
            try NotificationTemplate(name: "t", locale: "en", path: "t.mustache", source: "Subject: hi\n\nbody\n")
        }
        do {
            _ = try NotificationTemplate(
                name: "t", locale: "en", path: "t.mustache", source: "{{! subject }}\nhi\n{{! text }}\nbody\n")
            Issue.record("a template without html was accepted")
        } catch {
            #expect(error.description.contains("t.mustache:1: no {{! html }} part"))
        }
    }

    /// A copy of the shipped Workflows folder to break on purpose.
    func copyOfWorkflows() throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.workflows, to: folder)
        return folder
    }

    @Test("a variable the engine does not provide is an error of the check, pointing at the template line")
    func missingVariable() async throws {
        let folder = try copyOfWorkflows()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("notifications/fr/in_transit.mustache")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "{{tracking_number}}", with: "{{tracking_no}}")
            .write(to: file, atomically: true, encoding: .utf8)
        // A section over an unknown name is caught too, and so is a variable only its guard would provide.
        let received = folder.appendingPathComponent("notifications/es/received.mustache")
        try (try String(contentsOf: received, encoding: .utf8))
            .replacingOccurrences(of: "{{! html }}", with: "{{#carrier}}({{carrier}}){{/carrier}}\n{{! html }}")
            .write(to: received, atomically: true, encoding: .utf8)
        let cancelled = folder.appendingPathComponent("notifications/de/return_cancelled.mustache")
        try (try String(contentsOf: cancelled, encoding: .utf8))
            .replacingOccurrences(of: "storniert.", with: "storniert: {{reason}}.")
            .write(to: cancelled, atomically: true, encoding: .utf8)

        let catalog = WorkflowCatalog.load(folder: folder)
        #expect(!catalog.isValid)
        let errors = catalog.problems.filter { $0.severity == .error }
        let trackingNo = try #require(errors.first { $0.message.contains("{{tracking_no}}") })
        #expect(trackingNo.file.hasSuffix("notifications/fr/in_transit.mustache"))
        #expect(trackingNo.line == 6)
        #expect(trackingNo.message.contains("(label_issued --ship--> in_transit)"))
        #expect(trackingNo.message.contains("tracking_number"))
        #expect(errors.contains { $0.message.contains("{{carrier}}") && $0.file.hasSuffix("es/received.mustache") })
        #expect(
            errors.contains { $0.message.contains("{{reason}}") && $0.file.hasSuffix("de/return_cancelled.mustache") })
        #expect(errors.count == 3)

        // The command says the same and exits 1.
        let result = try await CLI.run(
            ["workflow", "check", folder.appendingPathComponent("standard.yaml").path], database: nil)
        #expect(result.code == 1)
        #expect(result.output.contains("in_transit.mustache:6: '{{tracking_no}}' is not provided"))
    }

    @Test("a template missing in en or in any other locale fails the check")
    func missingFiles() async throws {
        let folder = try copyOfWorkflows()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("notifications/ja/received.mustache"))
        var catalog = WorkflowCatalog.load(folder: folder)
        #expect(!catalog.isValid)
        let missing = catalog.problems.filter { $0.message.contains("has no 'ja' translation") }
        #expect(missing.count == 1)
        #expect(missing.first?.message.contains("template 'received' has no 'ja' translation") == true)
        #expect(missing.first?.severity == .error)
        let refused = try await CLI.run(
            ["workflow", "check", folder.appendingPathComponent("standard.yaml").path], database: nil)
        #expect(refused.code == 1)
        #expect(refused.output.contains("template 'received' has no 'ja' translation"))

        try FileManager.default.removeItem(at: folder.appendingPathComponent("notifications/en/received.mustache"))
        catalog = WorkflowCatalog.load(folder: folder)
        #expect(!catalog.isValid)
        #expect(catalog.problems.contains { $0.message.contains("undefined template 'received'") })
        let failed = try await CLI.run(
            ["workflow", "check", folder.appendingPathComponent("standard.yaml").path], database: nil)
        #expect(failed.code == 1)
    }
}

@Suite("Spooled mail headers")
struct SpoolHeaderTests {
    @Test("a header value with a line break or control character is refused, never written", arguments: [
        "x\r\nBcc:evil@attacker.com", "a@example.com\nBcc: b@example.com", "a@example.com\r", "a\u{7}@example.com",
    ])
    func refusesControlCharacters(to: String) throws {
        let notification = OutgoingNotification(
            messageID: UUID(), returnID: UUID(), seq: 2, event: "ship", state: "in_transit", template: "shipped",
            locale: "en", requestedLocale: "en", to: to, orderRef: "A-1", statusURL: "https://r.example/status/t",
            rendered: RenderedNotification(subject: "s", text: "t", html: "h"), data: [:], attempt: 1)
        #expect(throws: DeliveryError.self) { try SpoolChannel.message(notification, from: "R <r@example.com>", date: Date()) }
        var clean = notification
        clean.to = "ana@example.com"
        #expect(try SpoolChannel.message(clean, from: "R <r@example.com>", date: Date()).contains("To: ana@example.com\r\n"))
    }
}
