import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// The staff console under `/console`: sign-in with a session cookie, search, one return's story, the queues per
/// role, the actions a state allows (each through the engine with an idempotency key from the page), the figures.
/// A partner's staff see only their partner's returns: another's is not found, by id, search or URL.
struct ConsoleController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration
    let security: PageSecurity

    static let sessionCookie = "returns_staff"

    init(engine: Engine, configuration: ServerConfiguration) {
        self.engine = engine
        self.configuration = configuration
        security = PageSecurity(secureCookies: configuration.publicBaseURL.lowercased().hasPrefix("https://"))
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/console/sign-in", use: signInPage)
        router.post("/console/sign-in", use: signIn)
        router.post("/console/sign-out", use: signOut)
        router.get("/console", use: search)
        router.get("/console/returns/{id}", use: story)
        router.post("/console/returns/{id}/decide", use: decide)
        router.post("/console/returns/{id}/receive", use: receive)
        router.post("/console/returns/{id}/inspect", use: inspect)
        router.post("/console/returns/{id}/follow-up", use: closeFollowUp)
        router.post("/console/receipts", use: receiveBatch)
        router.post("/console/refunds/{id}/retry", use: retryRefund)
        router.post("/console/notifications/{id}/revive", use: revive)
        router.get("/console/queues/{name}", use: queue)
        router.get("/console/figures", use: figures)
    }

    // MARK: - Pages and sessions

    func page(_ html: String, status: HTTPResponse.Status = .ok, token: (value: String, isNew: Bool)? = nil) -> Response {
        Response(status: status, headers: security.headers(token: token), body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// The member behind the request's session cookie, or nil (the page then sends them to sign in).
    func member(_ request: Request) async throws -> StaffMember? {
        guard let token = PageSecurity.cookie(Self.sessionCookie, in: request) else { return nil }
        return try await engine.staff.member(session: token)
    }

    /// Runs `body` for a signed-in member; a GET without a session goes to the sign-in page, a POST is refused.
    func signedIn(
        _ request: Request, _ body: (StaffMember, (value: String, isNew: Bool)) async throws -> Response
    ) async throws -> Response {
        let token = security.token(of: request)
        guard let member = try await member(request) else {
            if request.method == .get { return Self.redirect("/console/sign-in") }
            return page(
                ConsolePages.message(
                    "Signed out", "Your session has ended or was revoked; sign in again.", member: nil, token: token.value,
                    back: "/console/sign-in"), status: .unauthorized, token: token)
        }
        do {
            return try await body(member, token)
        } catch let refusal as StaffRefusal {
            return page(
                ConsolePages.message("Not allowed", refusal.description, member: member, token: token.value, back: "/console"),
                status: .forbidden, token: token)
        } catch let error as EngineError {
            let status: HTTPResponse.Status =
                switch error {
                case .returnNotFound, .refundNotFound, .notificationNotFound: .notFound
                case .invalidInput, .refusedByPolicy: .unprocessableContent
                default: .conflict
                }
            return page(
                ConsolePages.message("Not done", error.description, member: member, token: token.value, back: "/console"),
                status: status, token: token)
        }
    }

    /// A signed-in member's POST with this browser's form token; without it nothing happens.
    func posted(
        _ request: Request, _ body: (StaffMember, FormBody, String) async throws -> Response
    ) async throws -> Response {
        let form = try await FormBody.read(request, limit: configuration.maxBodyBytes)
        return try await signedIn(request) { member, token in
            guard security.accepts(form, from: request) else {
                return page(
                    ConsolePages.message(
                        "Form expired", "This form was not sent from this console page; nothing was changed. Open the page again.",
                        member: member, token: token.value, back: "/console"),
                    status: .forbidden, token: token)
            }
            return try await body(member, form, token.value)
        }
    }

    @Sendable func signInPage(_ request: Request, context: Context) async throws -> Response {
        let token = security.token(of: request)
        return page(ConsolePages.signIn(token: token.value, email: "", error: nil), token: token)
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let form = try await FormBody.read(request, limit: configuration.maxBodyBytes)
        let token = security.token(of: request)
        let email = form["email"] ?? ""
        guard security.accepts(form, from: request) else {
            return page(
                ConsolePages.signIn(token: token.value, email: email, error: "The form expired; sign in again."),
                status: .forbidden, token: token)
        }
        do {
            let (session, _) = try await engine.staff.signIn(email: email, password: form.raw("password"))
            let secure = security.secureCookies ? "; Secure" : ""
            return Self.redirect(
                "/console",
                cookie: "\(Self.sessionCookie)=\(session); Path=/console; HttpOnly; SameSite=Strict; Max-Age=\(StaffAccounts.sessionSeconds)\(secure)")
        } catch SignInRefusal.wrongCredentials {
            return page(
                ConsolePages.signIn(token: token.value, email: email, error: "The email or the password is wrong."),
                status: .unauthorized, token: token)
        } catch SignInRefusal.locked(let until) {
            return page(
                ConsolePages.signIn(
                    token: token.value, email: email,
                    error: "Too many failed sign-ins: the account is locked until \(until.formatted(.iso8601)). Ask an operator if you forgot the password."),
                status: .tooManyRequests, token: token)
        }
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { _, _, _ in
            if let session = PageSecurity.cookie(Self.sessionCookie, in: request) { try await engine.staff.signOut(session: session) }
            return Self.redirect("/console/sign-in", cookie: "\(Self.sessionCookie)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
        }
    }

    // MARK: - Reading

    @Sendable func search(_ request: Request, context: Context) async throws -> Response {
        try await signedIn(request) { member, token in
            let query = request.uri.queryParameters
            var fields: [String: String] = [:]
            for name: Substring in ["q", "state", "workflow", "partner", "resolution", "idle_days", "timer", "sla", "after"] {
                if let value = query[name].map(String.init)?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                    fields[String(name)] = String(value.prefix(200))
                }
            }
            var search = ReturnSearch()
            search.text = fields["q"]
            search.states = fields["state"].map { [$0] } ?? []
            search.workflow = fields["workflow"]
            search.resolution = fields["resolution"]
            search.idleDays = fields["idle_days"].flatMap(Int.init)
            search.waitingOnTimer = fields["timer"] == "1"
            search.slaBreached = fields["sla"] == "1"
            if let after = fields["after"] { search.after = Self.position(after) }
            let rows = try await engine.desk.search(search, partner: fields["partner"], as: member, limit: 51)
            var next: String?
            if rows.count > 50, let last = rows.dropLast().last {
                var parts = fields.filter { $0.key != "after" }
                parts["after"] = Self.cursor(last.updatedAt, last.id)
                next = "/console?" + parts.sorted { $0.key < $1.key }.map {
                    "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                }.joined(separator: "&")
            }
            return page(
                ConsolePages.search(Array(rows.prefix(50)), query: fields, next: next, member: member, token: token.value),
                token: token)
        }
    }

    @Sendable func story(_ request: Request, context: Context) async throws -> Response {
        try await signedIn(request) { member, token in
            guard let id = UUID(uuidString: try context.parameters.require("id")),
                let story = try await engine.desk.story(of: id, as: member)
            else {
                return page(
                    ConsolePages.message("Not found", "No return with this id is yours to see.", member: member, token: token.value, back: "/console"),
                    status: .notFound, token: token)
            }
            let notice = request.uri.queryParameters["done"].map { "Done: \($0)." }
            return page(
                ConsolePages.story(story, member: member, token: token.value, key: RandomToken.urlSafe(), notice: notice),
                token: token)
        }
    }

    /// The search's keyset position as the next page's link carries it: microseconds since 1970 and the id.
    static func cursor(_ date: Date, _ id: UUID) -> String {
        "\(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))_\(id.uuidString.lowercased())"
    }

    static func position(_ text: String) -> (Date, UUID)? {
        let parts = text.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
    }

    // MARK: - Actions

    func returnID(_ context: Context) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw EngineError.returnNotFound(UUID()) }
        return id
    }

    func key(_ form: FormBody) throws -> String {
        guard let key = form["key"], key.count <= 64 else {
            throw EngineError.invalidInput(field: "key", reason: "the page's form lost its key; open the page again")
        }
        return key
    }

    /// After an action: back to the return's story, saying what was done.
    static func done(_ id: UUID, _ what: String) -> Response {
        redirect("/console/returns/\(id.uuidString.lowercased())?done=\(what)")
    }

    @Sendable func decide(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, _ in
            let id = try returnID(context)
            let event = form["event"] ?? ""
            _ = try await engine.desk.decide(event, on: id, reason: form["reason"], key: try key(form), as: member)
            return Self.done(id, event == "approve" ? "approved" : "rejected")
        }
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, _ in
            let id = try returnID(context)
            _ = try await engine.desk.receive(id, key: try key(form), notes: form["notes"], as: member)
            return Self.done(id, "received")
        }
    }

    /// A partner's staff record the receipt of a batch of parcels, scanned by reference (a return id a line). Each
    /// is received once however often the batch is sent again: its key is the batch's key and the return.
    @Sendable func receiveBatch(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, token in
            let batch = try key(form)
            let lines = form.raw("references").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            guard !lines.isEmpty, lines.count <= 500 else {
                throw EngineError.invalidInput(field: "references", reason: "scan 1 to 500 return references, one a line")
            }
            var rows: [[String]] = []
            for reference in lines {
                let outcome: String
                if let id = UUID(uuidString: reference) {
                    do {
                        let result = try await engine.desk.receive(id, key: "\(batch):\(id.uuidString.lowercased())", notes: nil, as: member)
                        outcome = result.replayed ? "already received" : "received"
                    } catch EngineError.returnNotFound {
                        outcome = "not one of your returns"
                    } catch let error as EngineError {
                        outcome = "not received: \(error.description)"
                    }
                } else {
                    outcome = "not a return reference"
                }
                rows.append([ConsolePages.e(reference), ConsolePages.e(outcome)])
            }
            return page(
                ConsolePages.queue("Receipts recorded", rows: rows, header: ["Reference", "Result"], member: member, token: token))
        }
    }

    @Sendable func inspect(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, _ in
            let id = try returnID(context)
            guard let grade = form["grade"].flatMap(Grade.init(rawValue:)) else {
                throw EngineError.invalidInput(field: "grade", reason: "choose a grade")
            }
            let disposition = try form["disposition"].map { text in
                guard let disposition = Disposition(rawValue: text) else {
                    throw EngineError.invalidInput(field: "disposition", reason: "'\(text)' is not a disposition")
                }
                return disposition
            }
            _ = try await engine.desk.inspect(
                id, grade: grade, disposition: disposition, notes: form["notes"], key: try key(form), as: member)
            return Self.done(id, "inspected")
        }
    }

    @Sendable func closeFollowUp(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, _ in
            let id = try returnID(context)
            let closed = try await engine.desk.closeFollowUp(of: id, note: form.raw("note"), as: member)
            return Self.done(id, closed ? "follow-up-closed" : "follow-up-already-closed")
        }
    }

    @Sendable func retryRefund(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, _ in
            let refund = try returnID(context)
            let retried = try await engine.desk.retryRefund(refund, as: member)
            if let back = form["return_id"].flatMap(UUID.init(uuidString:)) {
                return Self.done(back, retried ? "refund-retried" : "refund-not-failed")
            }
            return Self.redirect("/console/queues/refunds-failed")
        }
    }

    @Sendable func revive(_ request: Request, context: Context) async throws -> Response {
        try await posted(request) { member, form, _ in
            let message = try returnID(context)
            let revived = try await engine.desk.revive(message, as: member)
            if let back = form["return_id"].flatMap(UUID.init(uuidString:)) {
                return Self.done(back, revived ? "notification-revived" : "notification-not-dead")
            }
            return Self.redirect("/console/queues/dead-notifications")
        }
    }

    // MARK: - Queues and figures

    @Sendable func queue(_ request: Request, context: Context) async throws -> Response {
        try await signedIn(request) { member, token in
            guard let queue = StaffQueue(rawValue: try context.parameters.require("name")) else {
                return page(
                    ConsolePages.message("Not found", "There is no such queue.", member: member, token: token.value, back: "/console"),
                    status: .notFound, token: token)
            }
            func link(_ id: UUID) -> String {
                let text = id.uuidString.lowercased()
                return "<a href=\"/console/returns/\(text)\">\(text.prefix(8))</a>"
            }
            let e = ConsolePages.e
            let html: String
            switch queue {
            case .reviews:
                var search = ReturnSearch()
                search.states = ["manual_review"]
                let rows = try await engine.desk.search(search, as: member, limit: 100)
                html = ConsolePages.queue(
                    "Needs manual review", rows: rows.map { [link($0.id), e($0.orderRef), e($0.customerEmail), e($0.workflow)] },
                    header: ["Return", "Order", "Customer", "Workflow"], member: member, token: token.value)
            case .refundsFailed:
                let rows = try await engine.refunds.list(status: "failed", limit: 100)
                let visible = member.role == .finance ? rows : []
                html = ConsolePages.queue(
                    "Failed refunds",
                    rows: visible.map { [link($0.returnID), e(Money.decimalString(minorUnits: $0.amountMinor, currencyCode: $0.currency) + " " + $0.currency), "\($0.attempts)", e($0.lastError ?? "")] },
                    header: ["Return", "Amount", "Attempts", "Last error"], member: member, token: token.value)
            case .deadNotifications:
                let rows = member.role == .ops ? try await engine.outbox.entries(status: "dead", limit: 100) : []
                html = ConsolePages.queue(
                    "Dead notifications",
                    rows: rows.map { [link($0.returnID), e($0.template), "\($0.attempts)", e($0.lastError ?? "")] },
                    header: ["Return", "Template", "Attempts", "Last error"], member: member, token: token.value)
            case .followUps:
                let rows = try await engine.desk.followUps(as: member)
                html = ConsolePages.queue(
                    "“No” answers to follow up",
                    rows: rows.map { [link($0.returnID), e($0.orderRef), e($0.record.reason ?? "–"), e($0.record.comment), e($0.record.locale)] },
                    header: ["Return", "Order", "Reason", "Comment", "Locale"], member: member, token: token.value)
            case .slaBreaches:
                var search = ReturnSearch()
                search.states = ["inspection_escalated"]
                let rows = try await engine.desk.search(search, as: member, limit: 100)
                html = ConsolePages.queue(
                    "Inspections past their SLA",
                    rows: rows.map { [link($0.id), e($0.orderRef), e($0.partner ?? "–"), $0.updatedAt.formatted(.iso8601)] },
                    header: ["Return", "Order", "Partner", "Escalated"], member: member, token: token.value)
            case .exchangesWaiting:
                let rows = try await engine.desk.waitingForStock(as: member)
                html = ConsolePages.queue(
                    "Exchanges waiting for stock",
                    rows: rows.map {
                        [
                            link($0.returnID), e($0.orderRef), e($0.state), "\($0.line)", e($0.sku), "\($0.quantity)",
                            "\($0.free)", $0.since.formatted(.iso8601),
                        ]
                    },
                    header: ["Return", "Order", "State", "Line", "Replacement", "Units", "Free now", "Hold lapsed"],
                    member: member, token: token.value)
            case .partnerWork:
                var rows: [ReturnSearchRow] = []
                if member.role == .partner {
                    var search = ReturnSearch()
                    search.states = ["in_transit", "label_issued", "received", "inspection_escalated"]
                    rows = try await engine.desk.search(search, as: member, limit: 100)
                }
                html = ConsolePages.queue(
                    "Receiving and inspection",
                    rows: rows.map { [link($0.id), e($0.orderRef), e($0.state)] }, header: ["Return", "Order", "State"],
                    member: member, token: token.value,
                    form: member.role == .partner ? ConsolePages.batchReceipt(token: token.value, key: RandomToken.urlSafe()) : "")
            }
            return page(html, token: token)
        }
    }

    @Sendable func figures(_ request: Request, context: Context) async throws -> Response {
        try await signedIn(request) { member, token in
            let figures = try await engine.desk.figures(days: 14, as: member)
            let retained = member.role == .partner
                ? [] : try await engine.lookup.retainedRevenue(from: Date().addingTimeInterval(-30 * 86_400), to: Date())
                    .filter { $0.dimension == "all" || $0.dimension == "reason" }
            let now = Date()
            let rates = try await engine.lookup.responseRates(
                from: now.addingTimeInterval(-30 * 86_400), to: now, partner: member.role == .partner ? member.partnerName : nil)
            if request.uri.queryParameters["format"] == "csv" {
                var csv = "figure,key,state,value\n"
                for row in figures.perDay { csv += "returns_per_day,\(row.day),\(CSVField.text(row.state)),\(row.count)\n" }
                for row in figures.reasons { csv += "reason,\(CSVField.text(row.reason)),,\(row.count)\n" }
                for row in rates { csv += "nrr_\(row.dimension),\(CSVField.text(row.value)),,\(String(format: "%.4f", row.rate))\n" }
                csv += "refund_latency_hours,p50,,\(figures.refundLatencyP50Hours.map { String(format: "%.2f", $0) } ?? "")\n"
                csv += "refund_latency_hours,p95,,\(figures.refundLatencyP95Hours.map { String(format: "%.2f", $0) } ?? "")\n"
                csv += "automation_rate,finished,,\(figures.automationRate.map { String(format: "%.4f", $0) } ?? "")\n"
                for row in figures.inspections {
                    let partner = CSVField.text(row.partner)
                    csv += "inspections,\(partner),received,\(row.received)\n"
                    csv += "inspections,\(partner),inspected,\(row.inspected)\n"
                    csv += "inspections,\(partner),missed_sla,\(row.overdue)\n"
                    csv += "inspections,\(partner),median_hours,\(row.medianHours.map { String(format: "%.2f", $0) } ?? "")\n"
                }
                for row in retained {
                    csv += "retained_share_\(row.dimension),\(CSVField.text(row.key)),\(row.currency),\(String(format: "%.4f", row.retainedShare))\n"
                }
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"figures.csv\"",
                        .cacheControl: "no-store",
                    ],
                    body: .init(byteBuffer: ByteBuffer(string: csv)))
            }
            return page(
                ConsoleFigurePage.render(figures, rates: rates, retained: retained, member: member, token: token.value), token: token)
        }
    }
}
