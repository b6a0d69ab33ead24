import Foundation
import Logging
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Applies a partner's manifest to the engine: each return's receipts, then its inspection results, as events
/// through `Engine.apply`, the same path the partner API takes.
///
/// The whole file is checked first (format, and that every line names a return assigned to this partner and one of
/// its SKUs); one bad line and nothing is applied. Every event carries an idempotency key made from the partner
/// and the event, scoped to the return, so a second run of the same file replays the first results and writes
/// nothing; a later manifest reporting different values for the same step is refused as a reused key.
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
        let logger = engine.database.logger
        let assignments = try await engine.database.client.withConnection { connection in
            let partnerID = try await PartnerLookup.id(of: partner, on: connection, logger: logger)
            return try await Self.assignments(
                of: lines.compactMap(\.returnID), partnerID: partnerID, on: connection, logger: logger)
        }
        var problems: [ReconcileError] = []
        var details: [UUID: ReturnDetails] = [:]
        for line in lines {
            func problem(_ column: String, _ reason: String) {
                let number = (ManifestReader.required.firstIndex(of: column) ?? 0) + 1
                problems.append(.badRow(file: file, line: line.line, column: reader.column(column) ?? number, reason: reason))
            }
            guard let id = line.returnID else {
                problem("return_id", "return_id '\(line.returnKey)' is not a return id (like 3f2b8c1e-5d4a-4f6b-9c1d-2e3f4a5b6c7d)")
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
            if details[id] == nil { details[id] = try await engine.details(of: id) }
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
            let detail = details[id]!
            let plan = Self.plan(
                returnLines, items: detail.items,
                definition: engine.catalog.workflow(named: detail.record.workflowName)?.definition)
            for (event, data, numbers) in plan {
                var step = Step(returnID: id, event: event, lines: numbers, outcome: "planned", reason: nil)
                if !dryRun {
                    do {
                        let result = try await engine.apply(
                            event, to: id, idempotencyKey: "manifest:\(partner):\(event)", actor: "partner:\(partner)",
                            data: data)
                        step.outcome = result.replayed ? "replayed" : "applied"
                    } catch let error as EngineError {
                        step.outcome = "skipped"
                        step.reason = error.description
                    }
                }
                steps.append(step)
            }
        }
        return Report(lines: lines.count, steps: steps)
    }

    /// The events that carry a return's manifest lines into its workflow: the receipt, then the steps of the
    /// inspection (in the standard workflow `inspect`, then `grade` with the grades).
    static func plan(_ lines: [ManifestReader.Line], items: [ItemState], definition: WorkflowDefinition?)
        -> [(String, [String: JSONValue], [Int])]
    {
        guard let definition else { return [] }
        let transitions = definition.transitions
        func line(of sku: String) -> Int { items.first { $0.sku == sku }?.line ?? 0 }
        var plan: [(String, [String: JSONValue], [Int])] = []
        let received = lines.filter { $0.quantity > 0 }
        if let receive = transitions.first(where: { $0.actions.contains(.recordReceipt) })?.event, !received.isEmpty {
            let entries: [JSONValue] = received.map {
                .object(["line": .number(Double(line(of: $0.sku))), "quantity": .number(Double($0.quantity))])
            }
            plan.append((receive, ["items": .array(entries)], received.map(\.line)))
        }
        let graded = lines.filter { $0.grade != nil }
        guard !graded.isEmpty else { return plan }
        let gradeEvent = transitions.first { $0.actions.contains(.recordInspection) }?.event
        let inspectEvent = transitions.first {
            $0.actions.contains(.cancelTimer(name: InspectionRules.slaTimer)) && !$0.actions.contains(.recordInspection)
                && $0.event != gradeEvent
        }?.event
        if let inspectEvent { plan.append((inspectEvent, [:], graded.map(\.line))) }
        if let gradeEvent {
            let entries: [JSONValue] = graded.map { manifestLine in
                var object: [String: JSONValue] = [
                    "line": .number(Double(line(of: manifestLine.sku))), "grade": .string(manifestLine.grade!.rawValue),
                ]
                if let disposition = manifestLine.disposition { object["disposition"] = .string(disposition.rawValue) }
                if let notes = manifestLine.notes, !notes.isEmpty { object["disposition_reason"] = .string(notes) }
                return .object(object)
            }
            plan.append((gradeEvent, ["items": .array(entries)], graded.map(\.line)))
        }
        return plan
    }

    /// For each id that exists: whether it is assigned to the partner.
    static func assignments(of ids: [UUID], partnerID: Int64, on connection: PostgresConnection, logger: Logger)
        async throws -> [UUID: Bool]
    {
        var found: [UUID: Bool] = [:]
        let rows = try await connection.query(
            "SELECT id, partner_id IS NOT DISTINCT FROM \(partnerID) FROM returns WHERE id = ANY(\(ids))", logger: logger)
        for try await (id, assigned) in rows.decode((UUID, Bool).self) { found[id] = assigned }
        return found
    }
}
