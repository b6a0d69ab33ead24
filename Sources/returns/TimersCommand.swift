import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine

struct TimersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers", abstract: "Fire due timers.", subcommands: [Fire.self])

    struct Fire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fire every timer due now (or as of a given time) and print how many fired.",
            discussion: """
                A timer whose return has moved on from the state it was armed in is discarded, not fired. \
                Safe to run from several processes at once: each timer fires once.
                """
        )

        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp(
                "Fire what is due at this time instead of now: 2026-12-31T12:00:00Z, 2026-12-31, or +31d / +48h from now.",
                valueName: "timestamp"))
        var asOf: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let moment = try asOf.map(Self.parseMoment)
            let report = try await database.withEngine { engine in try await engine.timers.fireDue(asOf: moment) }
            if output.json {
                try printJSON(report)
            } else {
                print("\(report.fired) fired, \(report.discarded) discarded (return moved on), \(report.busy) busy (left for the next pass)")
            }
        }

        static func parseMoment(_ text: String) throws -> Date {
            if text.hasPrefix("+") {
                let units: [Character: Double] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
                if let unit = text.last, let scale = units[unit], let count = Double(text.dropFirst().dropLast()) {
                    return Date().addingTimeInterval(count * scale)
                }
            }
            if let date = Timestamp.parse(text) { return date }
            throw ValidationError("--as-of '\(text)' is not a time; write 2026-12-31T12:00:00Z, 2026-12-31 or +31d")
        }
    }
}
