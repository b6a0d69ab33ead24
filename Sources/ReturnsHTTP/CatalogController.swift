import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// The shop's systems (merchant keys): the exchangeable catalog, and store credit spent at the shop's checkout.
struct CatalogController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let configuration: ServerConfiguration
    var auth: Authentication { Authentication(engine: engine) }

    func addRoutes(to router: Router<Context>) {
        router.put("/v1/catalog/{sku}", use: put)
        router.get("/v1/catalog/{sku}", use: get)
        router.get("/v1/credits/{customer}", use: balance)
        router.post("/v1/credits/{customer}/debits", use: debit)
    }

    struct VariantBody: Encodable {
        var sku: String
        var productId: String
        var title: String
        var attributes: [String: String]
        var price: String
        var currency: String
        var onHand: Int
        var held: Int?
        var result: String?

        init(_ variant: CatalogVariant, held: Int? = nil, result: OrderWrite? = nil) {
            sku = variant.sku
            productId = variant.productID
            title = variant.title
            attributes = variant.attributes
            price = variant.price.decimalString
            currency = variant.currency.code
            onHand = variant.onHand
            self.held = held
            self.result = result?.rawValue
        }
    }

    @Sendable func put(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.merchant, request)
        let sku = try context.parameters.require("sku")
        let body = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: Set(CatalogFields.names))
        if let named = body.fields["sku"]?.stringValue, named != sku {
            throw Problem.invalid("sku", "'\(named)' differs from the path's '\(sku)'; leave it out or make them one")
        }
        var fields = body.fields
        fields["sku"] = .string(sku)
        let variant: CatalogVariant
        do { variant = try CatalogFields.variant(json: fields) } catch { throw Problem.invalid(error.field, error.message) }
        let write = try await engine.exchangeCatalog.put(variant)
        return try JSONResponse.make(VariantBody(variant, result: write), status: write == .created ? .created : .ok)
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.merchant, request)
        guard let stored = try await engine.exchangeCatalog.find(sku: try context.parameters.require("sku")) else {
            throw Problem.notFound
        }
        return try JSONResponse.make(VariantBody(stored.variant, held: stored.held), headers: [.cacheControl: "no-store"])
    }

    struct BalanceBody: Encodable {
        struct Entry: Encodable {
            var kind: String
            var amount: String
            var currency: String
            var expiresAt: Date?
            var code: String?
            var createdAt: Date
        }
        var customer: String
        var balances: [String: String]
        var entries: [Entry]

        init(_ statement: CreditStatement) {
            customer = statement.customer
            balances = Dictionary(
                uniqueKeysWithValues: statement.balances.map {
                    ($0.key, Money.decimalString(minorUnits: $0.value, currencyCode: $0.key))
                })
            entries = statement.entries.map {
                Entry(
                    kind: $0.kind, amount: Money.decimalString(minorUnits: $0.amountMinor, currencyCode: $0.currency),
                    currency: $0.currency, expiresAt: $0.expiresAt, code: $0.code, createdAt: $0.createdAt)
            }
        }
    }

    @Sendable func balance(_ request: Request, context: Context) async throws -> Response {
        _ = try await auth.require(.merchant, request)
        let statement = try await engine.credits.statement(of: try context.parameters.require("customer"))
        return try JSONResponse.make(BalanceBody(statement), headers: [.cacheControl: "no-store"])
    }

    /// The shop spends the customer's credit (an order paid with it). Idempotency-Key is required: a repeated
    /// debit must not take the money twice.
    @Sendable func debit(_ request: Request, context: Context) async throws -> Response {
        let holder = try await auth.require(.merchant, request)
        guard let key = try request.idempotencyKey(required: true) else { throw Problem.invalid("Idempotency-Key", "required") }
        let customer = try context.parameters.require("customer")
        let body = try await JSONBody.read(request, limit: configuration.maxBodyBytes, known: ["amount", "currency", "note"])
        let currency: Currency
        do { currency = try Currency(code: try body.string("currency", maxLength: 3)) } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem.invalid("currency", "not an ISO 4217 currency code like EUR")
        }
        let amount: Money
        do { amount = try Money.parse(try body.string("amount", maxLength: 32), currency: currency) } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem.invalid("amount", "\(error); give a decimal like \"19.99\" in \(currency.code)")
        }
        let entry = try await engine.credits.debit(
            customer, amount: amount, idempotencyKey: key, actor: "merchant:\(holder.name)",
            note: try body.optionalString("note", maxLength: 500))
        let statement = try await engine.credits.statement(of: customer, limit: 0)
        struct Debited: Encodable {
            var amount: String
            var currency: String
            var balance: String
        }
        return try JSONResponse.make(
            Debited(
                amount: Money.decimalString(minorUnits: -entry.amountMinor, currencyCode: entry.currency),
                currency: entry.currency,
                balance: Money.decimalString(minorUnits: statement.balances[entry.currency] ?? 0, currencyCode: entry.currency)),
            status: .created)
    }
}
