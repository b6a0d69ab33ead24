import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Applies a partner's manifest to the engine: each return's receipts, then its inspection results, through
/// `engine.partnerReports.receipt` and `.inspection`, the same path the partner API takes.
///
/// The whole file is checked first (format, and that every line names a return assigned to this partner and one of
/// its SKUs), then every step is run through the engine in one transaction (`Engine.allOrNothing`), so the engine
/// itself judges each (quantities beyond what was returned, a grade for a line that never arrived, a disposition
/// overridden without a reason, a step the return's state does not take); one bad line and nothing is applied,
/// every refusal reported as FILE:LINE:COLUMN. Every event carries an idempotency key named after its
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
        /// applied, replayed, or planned (a dry run).
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
        let columns = Columns(reader: reader)
        let (path, partner) = (file, self.partner)
        // Every step runs through the engine in one transaction, each under a savepoint, so the engine itself
        // judges each against what the steps before it left; one refused and the whole file is rolled back.
        // A dry run is the same run, always rolled back.
        let steps = try await engine.allOrNothing(commit: !dryRun) { [order, byReturn, details] in
            var steps: [Step] = []
            var problems: [ReconcileError] = []
            for id in order {
                let returnLines = byReturn[id]!
                let items = details[id]!.items
                func line(of sku: String) -> Int { items.first { $0.sku == sku }?.line ?? 0 }
                func report(_ step: String) -> PartnerReport {
                    PartnerReport(
                        returnID: id, partnerID: partnerID, partnerName: partner, idempotencyKey: "manifest:\(step)",
                        expectedVersion: nil)
                }
                func outcome(_ result: TransitionResult) -> String {
                    result.replayed ? "replayed" : dryRun ? "planned" : "applied"
                }
                let received = returnLines.filter { $0.quantity > 0 }
                if !received.isEmpty {
                    let entries: [JSONValue] = received.map {
                        .object(["line": .number(Double(line(of: $0.sku))), "quantity": .number(Double($0.quantity))])
                    }
                    do {
                        let result = try await engine.partnerReports.receipt(
                            data: ["items": .array(entries)], by: report("receive"))
                        steps.append(
                            Step(returnID: id, event: "receive", lines: received.map(\.line), outcome: outcome(result)))
                    } catch let error as EngineError {
                        problems.append(
                            columns.locate(
                                error, file: path, in: received, itemLine: line(of:), column: "quantity_received"))
                        continue  // its inspection would only repeat that the receipt is missing
                    }
                }
                let graded = returnLines.filter { $0.grade != nil }
                guard !graded.isEmpty else { continue }
                let entries: [JSONValue] = graded.map { manifestLine in
                    var object: [String: JSONValue] = [
                        "line": .number(Double(line(of: manifestLine.sku))),
                        "grade": .string(manifestLine.grade!.rawValue),
                    ]
                    if let disposition = manifestLine.disposition { object["disposition"] = .string(disposition.rawValue) }
                    if let notes = manifestLine.notes, !notes.isEmpty { object["disposition_reason"] = .string(notes) }
                    return .object(object)
                }
                do {
                    // The partner API's path: inspect, then grade and approve the refund as far as the workflow goes.
                    for result in try await engine.partnerReports.inspection(
                        data: ["items": .array(entries)], by: report("inspect"))
                    {
                        steps.append(
                            Step(returnID: id, event: result.event, lines: graded.map(\.line), outcome: outcome(result)))
                    }
                } catch let error as EngineError {
                    problems.append(columns.locate(error, file: path, in: graded, itemLine: line(of:), column: "grade"))
                }
            }
            guard problems.isEmpty else { throw problems.count == 1 ? problems[0] : ReconcileError.many(problems) }
            return steps
        }
        return Report(lines: lines.count, steps: steps)
    }

    /// Where a refusal of the engine points in the file: the manifest line and column behind the field it names.
    struct Columns: Sendable {
        let numbers: [String: Int]
        let width: Int

        init(reader: ManifestReader) {
            var numbers: [String: Int] = [:]
            for name in ManifestReader.required + ManifestReader.optional {
                if let number = reader.column(name) { numbers[name] = number }
            }
            self.numbers = numbers
            width = reader.headerWidth
        }

        func number(_ name: String) -> Int {
            // A reason belongs in `notes`; a file without that column is pointed past its last one.
            numbers[name] ?? (name == "notes" ? width + 1 : 1)
        }

        /// `error`, refused for the step made of `lines` (in the order of the step's `items`), as FILE:LINE:COLUMN.
        func locate(
            _ error: EngineError, file: String, in lines: [ManifestReader.Line], itemLine: (String) -> Int,
            column fallback: String
        ) -> ReconcileError {
            var target = lines[0]
            var column = fallback
            var reason = error.description
            if case .invalidInput(let field, let why) = error {
                reason = why
                if let index = Self.number(in: field, after: "items["), index < lines.count {
                    target = lines[index]
                } else if let item = Self.number(in: field, after: "(line "),
                    let named = lines.first(where: { itemLine($0.sku) == item })
                {
                    target = named
                }
                if field.hasSuffix("disposition_reason") {
                    column = "notes"
                } else if field.hasSuffix("disposition") {
                    column = "disposition"
                } else if field.hasSuffix("grade") {
                    column = "grade"
                } else if field.hasSuffix("quantity") {
                    column = "quantity_received"
                }
            } else {
                column = "return_id"
            }
            return .badRow(
                file: file, line: target.line, column: number(column),
                reason: "return \(target.returnKey), \(target.sku): \(reason)")
        }

        /// The whole number right after `prefix` in `text`.
        static func number(in text: String, after prefix: String) -> Int? {
            guard let range = text.range(of: prefix) else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
    }
}
