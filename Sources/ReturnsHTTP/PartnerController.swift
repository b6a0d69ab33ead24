import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Logistics partners: their queue, and carrier scans, receipts and inspections on their returns. A return
/// assigned to another partner is answered exactly as one that does not exist.
struct PartnerController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration
    var auth: Authentication { Authentication(engine: engine) }

    func addRoutes(to router: Router<Context>) {
        router.get("/v1/partner/returns", use: queue)
        router.get("/v1/partner/returns/{id}", use: show)
        router.post("/v1/partner/returns/{id}/scans", use: scan)
        router.post("/v1/partner/returns/{id}/receipt", use: receipt)
        router.post("/v1/partner/returns/{id}/inspection", use: inspection)
    }

    struct Summary: Encodable {
        var id: String
        var orderRef: String
        var workflow: String
        var state: String
        var version: Int
        var createdAt: Date
        var updatedAt: Date

        init(_ record: ReturnRecord) {
            id = record.id.text
            orderRef = record.orderRef
            workflow = record.workflowName
            state = record.state
            version = record.version
            createdAt = record.createdAt
            updatedAt = record.updatedAt
        }
    }

    struct Queue: Encodable {
        var returns: [Summary]
        var nextCursor: String?
    }

    @Sendable func queue(_ request: Request, context: Context) async throws -> Response {
        let holder = try await auth.require(.partner, request)
        let query = request.uri.queryParameters
        let limit = try Query.integer(query, "limit", default: 50, range: 1...500)
        let since = try Query.date(query, "updated_since")
        let state = try Query.word(query, "state")
        let page = try await engine.partnerReports.queue(
            partnerID: holder.partnerID ?? -1, state: state, updatedSince: since, limit: limit,
            cursor: query["cursor"].map(String.init))
        return try JSONResponse.make(Queue(returns: page.returns.map(Summary.init), nextCursor: page.nextCursor))
    }

    struct Details: Encodable {
        var id: String
        var orderRef: String
        var workflow: String
        var state: String
        var version: Int
        var items: [Item]
        var history: [Event]

        struct Item: Encodable {
            var line: Int
            var sku: String
            var quantity: Int
            var received: Int
            var grade: String?
            var disposition: String?
        }

        struct Event: Encodable {
            var seq: Int
            var event: String
            var state: String
            var actor: String
            var at: Date
        }
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        let holder = try await auth.require(.partner, request)
        let id = try Self.returnID(context)
        guard let details = try await engine.partnerReports.details(of: id, partnerID: holder.partnerID ?? -1) else {
            throw Problem.notFound
        }
        let body = Details(
            id: details.record.id.text, orderRef: details.record.orderRef, workflow: details.record.workflowName,
            state: details.record.state, version: details.record.version,
            items: details.items.map {
                .init(line: $0.line, sku: $0.sku, quantity: $0.quantity, received: $0.received, grade: $0.grade, disposition: $0.disposition)
            },
            history: details.history.map { .init(seq: $0.seq, event: $0.event, state: $0.to, actor: $0.actor, at: $0.at) })
        return try JSONResponse.make(body, headers: [.eTag: "\"\(details.record.version)\""])
    }

    /// What a report did: the transitions applied (or, on a repeated key, first applied) and where the return is.
    struct Outcome: Encodable {
        var returnId: String
        var state: String
        var version: Int
        var replayed: Bool
        var transitions: [Step]

        struct Step: Encodable {
            var event: String
            var from: String
            var to: String
            var seq: Int
        }

        init(_ results: [TransitionResult]) {
            returnId = results.last?.returnID.text ?? ""
            state = results.last?.to ?? ""
            version = results.map(\.seq).max() ?? 0
            replayed = results.allSatisfy(\.replayed)
            transitions = results.map { .init(event: $0.event, from: $0.from, to: $0.to, seq: $0.seq) }
        }
    }

    static let scanFields: Set<String> = ["kind", "tracking_number", "carrier", "location", "occurred_at", "note"]

    @Sendable func scan(_ request: Request, context: Context) async throws -> Response {
        let (report, body) = try await prepare(request, context, known: Self.scanFields)
        let kind = try body.oneOf("kind", ScanKind.self)
        var data: [String: JSONValue] = [:]
        if kind == .pickedUp { data["tracking_number"] = .string(try body.string("tracking_number", maxLength: 64)) }
        for field in ["tracking_number", "carrier", "location", "note"] {
            if let value = try body.optionalString(field, maxLength: field == "note" ? 1000 : 200) { data[field] = .string(value) }
        }
        if let at = try body.date("occurred_at") { data["occurred_at"] = .string(ISO8601DateFormatter().string(from: at)) }
        let result = try await engine.partnerReports.scan(kind, data: data, by: report)
        return try answer([result])
    }

    static let receiptFields: Set<String> = ["items", "notes"]
    static let receiptItemFields: Set<String> = ["line", "quantity_received", "wrong_item", "empty_box", "notes"]

    @Sendable func receipt(_ request: Request, context: Context) async throws -> Response {
        let (report, body) = try await prepare(request, context, known: Self.receiptFields)
        var items: [JSONValue] = []
        for item in try body.objects("items", known: Self.receiptItemFields) {
            var entry: [String: JSONValue] = [
                "line": .number(Double(try item.integer("line", minimum: 1, maximum: 10_000))),
                "quantity": .number(Double(try item.integer("quantity_received", minimum: 0, maximum: 10_000))),
            ]
            for flag in ["wrong_item", "empty_box"] { if let value = try item.bool(flag) { entry[flag] = .bool(value) } }
            if let notes = try item.optionalString("notes", maxLength: 1000) { entry["notes"] = .string(notes) }
            items.append(.object(entry))
        }
        var data: [String: JSONValue] = ["items": .array(items)]
        if let notes = try body.optionalString("notes", maxLength: 2000) { data["notes"] = .string(notes) }
        return try answer([try await engine.partnerReports.receipt(data: data, by: report)])
    }

    static let inspectionFields: Set<String> = ["items", "notes"]
    static let inspectionItemFields: Set<String> = ["line", "grade", "disposition", "disposition_reason", "notes", "photos"]

    @Sendable func inspection(_ request: Request, context: Context) async throws -> Response {
        let (report, body) = try await prepare(request, context, known: Self.inspectionFields)
        var items: [JSONValue] = []
        for item in try body.objects("items", known: Self.inspectionItemFields) {
            var entry: [String: JSONValue] = [
                "line": .number(Double(try item.integer("line", minimum: 1, maximum: 10_000))),
                "grade": .string(try item.oneOf("grade", Grade.self).rawValue),
            ]
            if item.fields["disposition"] != nil { entry["disposition"] = .string(try item.oneOf("disposition", Disposition.self).rawValue) }
            if let reason = try item.optionalString("disposition_reason", maxLength: 500) { entry["disposition_reason"] = .string(reason) }
            if let notes = try item.optionalString("notes", maxLength: 1000) { entry["notes"] = .string(notes) }
            let photos = try item.strings("photos")
            if !photos.isEmpty { entry["photos"] = .array(photos.map(JSONValue.string)) }
            items.append(.object(entry))
        }
        var data: [String: JSONValue] = ["items": .array(items)]
        if let notes = try body.optionalString("notes", maxLength: 2000) { data["notes"] = .string(notes) }
        return try answer(try await engine.partnerReports.inspection(data: data, by: report))
    }

    /// The checks every partner POST shares, in the order a client fixes them: key, return id, headers, body.
    private func prepare(_ request: Request, _ context: Context, known: Set<String>) async throws -> (PartnerReport, JSONBody) {
        let holder = try await auth.require(.partner, request)
        let id = try Self.returnID(context)
        let key = try request.idempotencyKey(required: true) ?? ""
        let expected = try request.expectedVersion()
        let body = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: known)
        let report = PartnerReport(
            returnID: id, partnerID: holder.partnerID ?? -1, partnerName: holder.name, idempotencyKey: key,
            expectedVersion: expected)
        return (report, body)
    }

    private func answer(_ results: [TransitionResult]) throws -> Response {
        let outcome = Outcome(results)
        return try JSONResponse.make(outcome, headers: [.eTag: "\"\(outcome.version)\""])
    }

    /// A malformed id cannot name any return, so it is answered like an unknown one.
    static func returnID(_ context: Context) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.notFound }
        return id
    }
}

/// Query-string readers that name the parameter at fault.
enum Query {
    static func integer(_ query: Parameters, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = query[Substring(name)] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw Problem.invalid(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func date(_ query: Parameters, _ name: String) throws -> Date? {
        guard let text = query[Substring(name)] else { return nil }
        guard let date = Timestamp.parse(String(text)) else {
            throw Problem.invalid(name, "'\(text)' is not a date like 2026-11-02 or 2026-11-02T10:00:00Z")
        }
        return date
    }

    /// A state or status name: lower-case ASCII letters and '_' only.
    static func word(_ query: Parameters, _ name: String, allowed: [String]? = nil) throws -> String? {
        guard let text = query[Substring(name)].map(String.init) else { return nil }
        if let allowed, !allowed.contains(text) {
            throw Problem.invalid(name, "'\(text)' is not one of \(allowed.joined(separator: ", "))")
        }
        guard !text.isEmpty, text.count <= 64, text.allSatisfy({ ("a"..."z").contains($0) || $0 == "_" }) else {
            throw Problem.invalid(name, "'\(text)' is not a state name")
        }
        return text
    }
}
