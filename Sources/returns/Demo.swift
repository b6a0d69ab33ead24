import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsBench
import ReturnsEngine

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive a few dozen returns through every path of the shipped workflows and summarize.",
        discussion: """
            Uses the embedded PostgreSQL unless DATABASE_URL is set. Creates returns in the standard, specialist \
            and keep-it workflows, applies their events, then fires the timers due 31 days from now to show labels \
            expiring, parcels lost and SLAs breached. Safe to run again: each run makes new returns.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await database.withEngine { engine in
            if output.json { return try printJSON(DemoOutput(try await DemoScenario().run(on: engine))) }
            print("returns demo: database \(engine.database.settings)")
            let report = try await DemoScenario().run(on: engine)
            let seconds = report.elapsed.totalSeconds
            print("""

                Imported \(report.orders) orders of record from \(report.ordersFile) (returns orders import) and the
                exchangeable catalog (returns catalog import), then
                created \(report.outcomes.count) returns from them and applied \(report.transitions) events in \
                \(String(format: "%.1f", seconds)) s; \(report.refused) event refused as not allowed (nothing written).
                Then 31 days passed: \(report.timers.fired) timers fired, \(report.timers.discarded) discarded \
                because their return had moved on.

                Returns by path and final state:
                """)
            var groups: [String: (workflow: String, path: String, state: String, count: Int)] = [:]
            var order: [String] = []
            for outcome in report.outcomes {
                let key = "\(outcome.path)|\(outcome.state)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: (outcome.workflow, outcome.path, outcome.state, 0)].count += 1
            }
            let rows = order.compactMap { groups[$0] }.map { [$0.workflow, $0.path, $0.state, String($0.count)] }
            print(Table(header: ["workflow", "path", "final state", "returns"], rows: rows).text)
            if let showcase = report.showcase {
                print("\nOne return's full timeline (returns return show \(showcase.uuidString.lowercased())):\n")
                print(ReturnView(try await engine.lookup.details(of: showcase)).text)
            }
            let kept = try await engine.lookup.retainedRevenue(
                from: Date().addingTimeInterval(-86_400), to: Date().addingTimeInterval(60)
            ).filter { $0.dimension == "all" && $0.exchangedMinor + $0.creditedMinor > 0 }
            if !kept.isEmpty {
                print("\nKept as exchanges and store credit, returns of the last day (returns report retained-revenue):")
                for row in kept {
                    let money = { (minor: Int64) in Money.decimalString(minorUnits: minor, currencyCode: row.currency) }
                    print(
                        "  \(row.currency): \(money(row.exchangedMinor)) exchanged and \(money(row.creditedMinor)) credited of "
                            + "\(money(row.totalMinor)) returned (\(String(format: "%.1f%%", row.retainedShare * 100)))")
                }
            }
            print("""

                Where to look next:
                  returns return list --state closed        returns in a state
                  returns return show ID --json             one return, with its history
                  returns workflow graph standard           the standard workflow as a Mermaid diagram
                  returns workflow check                    validate Workflows/*.yaml
                  returns timers fire --as-of +3d           fire timers due three days from now
                  returns refunds list                      refunds with their status and provider reference
                  returns refunds export-settlement         the ledger's payouts as a settlement CSV
                  returns report retained-revenue           what exchanges and store credit kept, by reason and SKU
                  returns catalog show SHIRT-M              a variant's stock and the units exchanges hold
                  returns report nrr                        the share of "no" to "Did we resolve your problem?"
                  returns serve                             the API, the customer's portal at /returns and status pages,
                                                            and the staff console at /console
                  returns staff add EMAIL --role ops        a console account (the password at a prompt)
                  returns db stop                           stop the embedded PostgreSQL
                """)
        }
    }
}

/// `demo --json`: every return the demo made, with its path and final state, and the counts.
struct DemoOutput: Encodable {
    struct Return: Encodable {
        var id: String
        var workflow: String
        var path: String
        var state: String
    }

    var returns: [Return]
    var transitions: Int
    var refused: Int
    var timers: TimerReport
    /// The return whose whole timeline the text output shows.
    var showcase: String?
    var seconds: Double

    init(_ report: DemoScenario.Report) {
        returns = report.outcomes.map {
            Return(id: $0.id.uuidString.lowercased(), workflow: $0.workflow, path: $0.path, state: $0.state)
        }
        transitions = report.transitions
        refused = report.refused
        timers = report.timers
        showcase = report.showcase?.uuidString.lowercased()
        seconds = report.elapsed.totalSeconds
    }
}
