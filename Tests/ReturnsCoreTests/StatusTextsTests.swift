import Foundation
import ReturnsCore
import Testing

@Suite("Status page texts")
struct StatusTextsTests {
    static func folder(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }

    static let allLabels = StatusTexts.labelKeys.map { "  \($0): x" }.joined(separator: "\n")

    @Test("a locale that lacks a label or a state's text is a problem naming the file and the key")
    func missingTexts() throws {
        let folder = try Self.folder([
            "en.yaml": "labels:\n\(Self.allLabels)\n",
            "de.yaml": "labels:\n  title: Ihre Rücksendung\nstates:\n  requested: Angefragt\n",
        ])
        let (_, problems) = StatusTextCatalog.load(folder: folder, states: ["requested", "cancelled"])
        let messages = problems.map(\.description)
        #expect(messages.contains("Workflows/status/de.yaml:1: labels.order is missing (en.yaml has it)"))
        #expect(messages.contains("Workflows/status/de.yaml:1: states.cancelled is missing (a workflow has it)"))
        #expect(!messages.contains { $0.hasPrefix("Workflows/status/en.yaml") }, "\(messages)")
    }

    @Test("a translation must keep the words in braces, a locale every reason code; the problem names the line")
    func placeholdersAndReasons() throws {
        let folder = try Self.folder([
            "en.yaml": "labels:\n\(Self.allLabels)\n  shipBy: Ship by {date}\nreasons:\n  damaged: Damaged\n",
            "de.yaml": "labels:\n\(Self.allLabels)\n  shipBy: Versand bis {datum}\nreasons:\n  damaged: Beschädigt\n",
            "fr.yaml": "labels:\n\(Self.allLabels)\n  shipBy: Envoi avant le {date}\n",
        ])
        let (_, problems) = StatusTextCatalog.load(folder: folder, states: [], reasons: ["damaged"])
        let messages = problems.map(\.description)
        let line = StatusTexts.labelKeys.count + 2
        #expect(messages.contains("Workflows/status/de.yaml:\(line): labels.shipBy must keep {date} as English has (found {datum})"))
        #expect(messages.contains("Workflows/status/fr.yaml:1: reasons.damaged is missing (policy.yaml reason_codes has it)"))
        #expect(messages.count == 2)
        #expect(StatusTexts(labels: ["due": "by {date}, {count} left"]).label("due", ["date": "1 May", "count": "2"]) == "by 1 May, 2 left")
    }

    @Test("texts fall back from pt-BR to pt to en")
    func fallback() throws {
        let folder = try Self.folder([
            "en.yaml": "labels:\n\(Self.allLabels)\n", "pt.yaml": "labels:\n  title: Sua devolução\n",
        ])
        let (catalog, _) = StatusTextCatalog.load(folder: folder, states: [])
        #expect(catalog.texts(for: "pt-BR").locale == "pt")
        #expect(catalog.texts(for: "pt-BR").texts.labels["title"] == "Sua devolução")
        #expect(catalog.texts(for: "sv").locale == "en")
    }

    @Test("a file that is not YAML of the right shape is a problem; without an English file too")
    func unreadable() throws {
        let folder = try Self.folder(["fr.yaml": "labels: [not, a, map]\n"])
        let (_, problems) = StatusTextCatalog.load(folder: folder, states: [])
        #expect(problems.contains { $0.file == "Workflows/status/fr.yaml" && $0.message.hasPrefix("cannot read this file") })
        #expect(problems.contains { $0.message == "the English status texts are missing" })
    }
}
