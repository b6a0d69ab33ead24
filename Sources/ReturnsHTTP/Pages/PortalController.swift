import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// The customer's pages: the returns portal (`/returns`: find the order, choose lines and resolutions, check the
/// estimate, confirm), the status page with its cancel and feedback forms, and the printable return authorisation.
/// Every form carries the form token (`PageSecurity`); every answer is HTML in the customer's language, errors
/// beside the field with what was typed kept. The engine judges each step again: the pages only advise.
struct PortalController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration
    let security: PageSecurity

    init(engine: Engine, configuration: ServerConfiguration) {
        self.engine = engine
        self.configuration = configuration
        security = PageSecurity(secureCookies: configuration.publicBaseURL.lowercased().hasPrefix("https://"))
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/assets/returns.css") { _, _ in Self.asset(CustomerPage.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/assets/returns.js") { _, _ in
            Self.asset(CustomerPage.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/returns", use: start)
        router.post("/returns/order", use: order)
        router.post("/returns/review", use: review)
        router.post("/returns/confirm", use: confirm)
        router.get("/status/{token}", use: status)
        router.get("/status/{token}/label", use: authorisation)
        router.post("/status/{token}/cancel", use: cancel)
        router.post("/status/{token}/feedback", use: feedback)
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "public, max-age=3600", HTTPFields.Element.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func locale(_ request: Request, choice: String?) -> PageLocale {
        PageLocale(
            catalog: engine.catalog.statusTexts, choice: choice ?? request.uri.queryParameters["lang"].map(String.init),
            acceptLanguage: request.headers[.acceptLanguage])
    }

    func html(_ page: String, status: HTTPResponse.Status = .ok, token: (value: String, isNew: Bool)? = nil) -> Response {
        Response(status: status, headers: security.headers(token: token), body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// A posted form with this browser's token, or the page that says the form has expired (and nothing changed).
    func acceptedForm(_ request: Request, back: String) async throws -> Step<FormBody> {
        let form = try await FormBody.read(request, limit: configuration.maxBodyBytes)
        guard security.accepts(form, from: request) else {
            let locale = locale(request, choice: form["locale"])
            return .answer(
                html(
                    StatusPage.message(
                        locale, title: locale.text("error_summary"), text: locale.text("error_form_expired"), back: back),
                    status: .forbidden, token: security.token(of: request)))
        }
        return .next(form)
    }

    // MARK: - The portal

    @Sendable func start(_ request: Request, context: Context) async throws -> Response {
        let token = security.token(of: request)
        let locale = locale(request, choice: nil)
        return html(PortalPages.start(locale, token: token.value, form: nil, errors: []), token: token)
    }

    /// The order's lines, from the order number and proof; or the first step again with the error by its field.
    @Sendable func order(_ request: Request, context: Context) async throws -> Response {
        try await withOrder(request, context: context) { portal, order, locale, token in
            html(PortalPages.lines(locale, token: token, order: order, form: portal, policy: engine.catalog.policy, errors: []))
        }
    }

    /// Reads a posted step's form (with this browser's token) and the order it names and proves: `body` gets them,
    /// else the answer is the form-expired page or the first step with the error by its field.
    func withOrder(
        _ request: Request, context: Context,
        _ body: (PortalForm, CustomerPortal.OrderView, PageLocale, String) async throws -> Response
    ) async throws -> Response {
        let form: FormBody
        switch try await acceptedForm(request, back: "/returns") {
        case .next(let accepted): form = accepted
        case .answer(let refusal): return refusal
        }
        let locale = locale(request, choice: form["locale"])
        var portal = PortalForm(form)
        portal.key = form["key"].flatMap { $0.count <= 64 ? $0 : nil }
        switch await lookUp(portal, locale: locale, request: request, context: context) {
        case .answer(let page): return page
        case .next(let order): return try await body(portal, order, locale, security.token(of: request).value)
        }
    }

    /// The estimate of the lines chosen; or the lines again with the errors beside their fields.
    @Sendable func review(_ request: Request, context: Context) async throws -> Response {
        try await chosen(request, context: context, confirming: false) { portal, order, lines, locale, token in
            let estimate = engine.portal.estimate(lines, of: order)
            return html(
                PortalPages.review(
                    locale, token: token, order: order, form: portal, lines: lines, estimate: estimate,
                    key: RandomToken.urlSafe()))
        }
    }

    /// Makes the return and shows its status page. The review's key makes a second click (or a re-posted form) the
    /// same return: the engine answers it as the first.
    @Sendable func confirm(_ request: Request, context: Context) async throws -> Response {
        try await chosen(request, context: context, confirming: true) { portal, order, lines, locale, token in
            guard let key = portal.key else {
                return try await linesPage(portal, order, locale, token, [FieldError(field: "l1_return", message: locale.texts.label("error_form_expired"))])
            }
            let proof: ReturnFromOrder.Proof = portal.email.map { .email($0) } ?? .postalCode(portal.postalCode ?? "")
            do {
                let created = try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: order.ref, proof: proof, lines: lines, locale: locale.identifier,
                        clientAddress: context.clientAddress),
                    idempotencyKey: "portal:\(key)", actor: "customer")
                return Response(
                    status: .seeOther,
                    headers: [.location: "/status/\(created.token)?notice=created", .cacheControl: "no-store"])
            } catch let error as EngineError {
                let reason: String? =
                    switch error {
                    case .alreadyReturned: locale.texts.label("not_returnable_returned")
                    case .notAvailable(let text), .orderConflict(let text): text
                    case .refusedByPolicy(let refusals): refusals.map(\.reason).joined(separator: "; ")
                    case .invalidInput(_, let text): text
                    default: nil
                    }
                guard let reason else { throw error }
                return try await linesPage(
                    portal, order, locale, token,
                    [FieldError(field: "l1_return", message: locale.texts.label("error_unavailable", ["reason": reason]))])
            }
        }
    }

    /// Reads the posted choices against the order as it is now: `body` gets the valid lines, else the lines page
    /// comes back with the errors.
    func chosen(
        _ request: Request, context: Context, confirming: Bool,
        _ body: (PortalForm, CustomerPortal.OrderView, [ReturnFromOrder.Line], PageLocale, String) async throws -> Response
    ) async throws -> Response {
        try await withOrder(request, context: context) { portal, order, locale, token in
            let (lines, errors) = portal.lines(of: order, policy: engine.catalog.policy, locale: locale, confirming: confirming)
            guard errors.isEmpty else {
                return try await linesPage(portal, order, locale, token, errors, status: .unprocessableContent)
            }
            return try await body(portal, order, lines, locale, token)
        }
    }

    func linesPage(
        _ portal: PortalForm, _ order: CustomerPortal.OrderView, _ locale: PageLocale, _ token: String, _ errors: [FieldError],
        status: HTTPResponse.Status = .conflict
    ) async throws -> Response {
        html(
            PortalPages.lines(locale, token: token, order: order, form: portal, policy: engine.catalog.policy, errors: errors),
            status: status)
    }

    /// The order the form names and proves, or the first step's page with the error by its field.
    func lookUp(_ portal: PortalForm, locale: PageLocale, request: Request, context: Context) async -> Step<CustomerPortal.OrderView> {
        let token = security.token(of: request).value
        func again(_ errors: [FieldError], _ status: HTTPResponse.Status) -> Step<CustomerPortal.OrderView> {
            .answer(html(PortalPages.start(locale, token: token, form: portal, errors: errors), status: status))
        }
        guard let ref = portal.orderRef else {
            return again([FieldError(field: "order_ref", message: locale.texts.label("error_required"))], .unprocessableContent)
        }
        let proof: ReturnFromOrder.Proof
        switch portal.proof(locale) {
        case .success(let given): proof = given
        case .failure(let error): return again([error], .unprocessableContent)
        }
        do {
            return .next(try await engine.portal.order(ref: ref, proof: proof, clientAddress: context.clientAddress))
        } catch EngineError.orderNotFound {
            return again([FieldError(field: "order_ref", message: locale.texts.label("error_order_not_found"))], .notFound)
        } catch EngineError.tooManyLookups {
            return again([FieldError(field: "order_ref", message: locale.texts.label("error_too_many_lookups"))], .tooManyRequests)
        } catch {
            return again([FieldError(field: "order_ref", message: locale.texts.label("error_try_again"))], .serviceUnavailable)
        }
    }

    // MARK: - The status page

    @Sendable func status(_ request: Request, context: Context) async throws -> Response {
        try await returnPage(request, context) { status, token, locale, formToken in
            let notice = request.uri.queryParameters["notice"].flatMap { StatusPage.Notice(rawValue: String($0)) }
            return StatusPage.render(status, token: token, locale: locale, formToken: formToken, notice: notice)
        }
    }

    @Sendable func authorisation(_ request: Request, context: Context) async throws -> Response {
        try await returnPage(request, context) { status, token, locale, _ in
            AuthorisationPage.render(status, token: token, locale: locale, address: configuration.returnAddress)
        }
    }

    /// A page of the return behind the path's token, in the language the page asks for (else the return's), or the
    /// not-found page.
    func returnPage(
        _ request: Request, _ context: Context, _ render: (CustomerStatus, String, PageLocale, String) -> String
    ) async throws -> Response {
        let token = try context.parameters.require("token")
        let formToken = security.token(of: request)
        let wanted = request.uri.queryParameters["lang"].map(String.init)
        guard let status = try await engine.customers.status(token: token, locale: wanted.map(PageLocale.normal), detailed: true)
        else {
            return html(StatusPage.notFound(locale(request, choice: nil)), status: .notFound, token: formToken)
        }
        return html(render(status, token, locale(request, choice: status.locale), formToken.value), token: formToken)
    }

    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        switch try await acceptedForm(request, back: "/status/\(token)") {
        case .answer(let refusal): return refusal
        case .next(let form):
            let lang = form["locale"].map { "&lang=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } ?? ""
            guard try await engine.customers.cancel(token: token, idempotencyKey: nil) != nil else {
                return html(StatusPage.notFound(locale(request, choice: form["locale"])), status: .notFound)
            }
            return Response(status: .seeOther, headers: [.location: "/status/\(token)?notice=cancelled\(lang)"])
        }
    }

    @Sendable func feedback(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        let form: FormBody
        switch try await acceptedForm(request, back: "/status/\(token)") {
        case .next(let accepted): form = accepted
        case .answer(let refusal): return refusal
        }
        let formToken = security.token(of: request).value
        let draft = StatusPage.FeedbackDraft(resolved: form["resolved"], reason: form["reason"], comment: form.raw("comment"))
        var errors: [FieldError] = []
        let pageLocale = locale(request, choice: form["locale"])
        let resolved: Bool? = switch draft.resolved { case "yes": true; case "no": false; default: nil }
        if resolved == nil { errors.append(FieldError(field: "resolved", message: pageLocale.texts.label("error_required"))) }
        let comment = draft.comment.trimmingCharacters(in: .whitespacesAndNewlines)
        if comment.count > 500 {
            errors.append(FieldError(field: "comment", message: pageLocale.texts.label("error_comment_too_long")))
        }
        let reason = draft.reason.flatMap { engine.catalog.feedbackReasons.contains($0) ? $0 : nil }
        if errors.isEmpty, let resolved {
            do {
                guard try await engine.customers.answer(token: token, resolved: resolved, reason: reason, comment: comment) != nil
                else { return html(StatusPage.notFound(pageLocale), status: .notFound) }
                return Response(status: .seeOther, headers: [.location: "/status/\(token)?notice=answered#feedback"])
            } catch is FeedbackClosed {
                errors.append(FieldError(field: "resolved", message: pageLocale.texts.label("error_feedback_closed")))
            } catch EngineError.notAvailable(let text) {
                errors.append(FieldError(field: "resolved", message: pageLocale.texts.label("error_unavailable", ["reason": text])))
            }
        }
        guard let status = try await engine.customers.status(
            token: token, fromPrimary: true, locale: form["locale"], detailed: true)
        else { return html(StatusPage.notFound(pageLocale), status: .notFound) }
        return html(
            StatusPage.render(
                status, token: token, locale: locale(request, choice: status.locale), formToken: formToken,
                feedbackErrors: errors, draft: draft),
            status: .unprocessableContent)
    }
}

/// A step of a page's handler: go on with the value, or answer with this page now.
enum Step<Value> {
    case next(Value)
    case answer(Response)
}
