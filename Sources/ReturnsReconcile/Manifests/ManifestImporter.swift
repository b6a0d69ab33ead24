import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Applies a partner's manifest to the engine: each return's receipts, then its inspection results, through
/// `engine.partnerReports.receipt` and `.inspection`, the same path the partner API takes.
///
/// The whole file is checked first (format, and that every line names a return assigned to this partner and one of
/// its SKUs); one bad line and nothing is applied. Every event carries an idempotency key named after its
/// step (`manifest:receive`, `manifest:inspect` and the keys the engine derives from it), scoped to the return, so a
/// second run of the same file replays the first results and writes nothing; a later manifest reporting different
/// values for the same step is refused as a reused key.
public struct ManifestImporter: Sendable {
    public var file: String
    public var partner: String

    public init(file: String, partner: String) {
        self.file = file
        self.partner = partner
    }

    /// One event for one return, planned or applied.
    public struct Step: Sendable, Hashable, Codable {
        public var returnID: UUID
        public var event: String
        /// The manifest lines behind it.
        public var lines: [Int]
        /// applied, replayed, planned, or skipped (with why).
        public var outcome: String
        public var reason: String?

        public init(returnID: UUID, event: String, lines: [Int], outcome: String, reason: String? = nil) {
            self.returnID = returnID
            self.event = event
            self.lines = lines
            self.outcome = outcome
            self.reason = reason
        }
    }

    public struct Report: Sendable, Hashable, Codable {
        public var lines: Int
        public var steps: [Step]

        public func count(_ outcome: String) -> Int { steps.filter { $0.outcome == outcome }.count }
    }

    public func run(engine: Engine, dryRun: Bool) async throws -> Report {
        let reader = try ManifestReader(path: file)
        var lines: [ManifestReader.Line] = []
        while let line = try reader.next() { lines.append(line) }
        let partnerID = try await PartnerLookup.find(named: partner, in: engine.database).id
        let assignments = try await PartnerAssignments.of(
            lines.compactMap(\.returnID), partnerID: partnerID, in: engine.database)
        var problems: [ReconcileError] = []
        var details: [UUID: ReturnDetails] = [:]
        for line in lines {
            func problem(_ column: String, _ reason: String) {
                let number = (ManifestReader.required.firstIndex(of: column) ?? 0) + 1
                problems.append(
                    .badRow(file: file, line: line.line, column: reader.column(column) ?? number, reason: reason))
            }
            guard let id = line.returnID else {
                problem(
                    "return_id",
                    "return_id '\(line.returnKey)' is not a return id (like 3f2b8c1e-5d4a-4f6b-9c1d-2e3f4a5b6c7d)")
                continue
            }
            guard let assigned = assignments[id] else {
                problem("return_id", "no return with id \(line.returnKey)")
                continue
            }
            guard assigned else {
                problem("return_id", "return \(line.returnKey) is not assigned to partner \(partner)")
                continue
            }
            if details[id] == nil { details[id] = try await engine.lookup.details(of: id) }
            guard details[id]!.items.contains(where: { $0.sku == line.sku }) else {
                problem("sku", "return \(line.returnKey) has no item \(line.sku)")
                continue
            }
        }
        guard problems.isEmpty else { throw problems.count == 1 ? problems[0] : ReconcileError.many(problems) }

        var order: [UUID] = []
        var byReturn: [UUID: [ManifestReader.Line]] = [:]
        for line in lines {
            let id = line.returnID!
            if byReturn[id] == nil { order.append(id) }
            byReturn[id, default: []].append(line)
        }
        var steps: [Step] = []
        for id in order {
            let returnLines = byReturn[id]!
            let items = details[id]!.items
            func line(of sku: String) -> Int { items.first { $0.sku == sku }?.line ?? 0 }
            func report(_ step: String) -> PartnerReport {
                PartnerReport(
                    returnID: id, partnerID: partnerID, partnerName: partner, idempotencyKey: "manifest:\(step)",
                    expectedVersion: nil)
            }
            let received = returnLines.filter { $0.quantity > 0 }
            if !received.isEmpty {
                let entries: [JSONValue] = received.map {
                    .object(["line": .number(Double(line(of: $0.sku))), "quantity": .number(Double($0.quantity))])
                }
                var step = Step(returnID: id, event: "receive", lines: received.map(\.line), outcome: "planned")
                if !dryRun {
                    do {
                        let result = try await engine.partnerReports.receipt(
                            data: ["items": .array(entries)], by: report("receive"))
                        step.outcome = result.replayed ? "replayed" : "applied"
                    } catch let error as EngineError {
                        step.outcome = "skipped"
                        step.reason = error.description
                    }
                }
                steps.append(step)
            }
            let graded = returnLines.filter { $0.grade != nil }
            guard !graded.isEmpty else { continue }
            let entries: [JSONValue] = graded.map { manifestLine in
                var object: [String: JSONValue] = [
                    "line": .number(Double(line(of: manifestLine.sku))), "grade": .string(manifestLine.grade!.rawValue),
                ]
                if let disposition = manifestLine.disposition { object["disposition"] = .string(disposition.rawValue) }
                if let notes = manifestLine.notes, !notes.isEmpty { object["disposition_reason"] = .string(notes) }
                return .object(object)
            }
            let numbers = graded.map(\.line)
            guard !dryRun else {
                steps.append(Step(returnID: id, event: "inspect", lines: numbers, outcome: "planned"))
                continue
            }
            do {
                // The partner API's path: inspect, then grade and approve the refund as far as the workflow goes.
                for result in try await engine.partnerReports.inspection(data: ["items": .array(entries)], by: report("inspect"))
                {
                    steps.append(
                        Step(
                            returnID: id, event: result.event, lines: numbers,
                            outcome: result.replayed ? "replayed" : "applied"))
                }
            } catch let error as EngineError {
                steps.append(
                    Step(returnID: id, event: "inspect", lines: numbers, outcome: "skipped", reason: error.description))
            }
        }
        return Report(lines: lines.count, steps: steps)
    }
}
