import Foundation
import ReturnsCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where an order not yet in the local table is looked up: for shops that keep their orders elsewhere. An order
/// found is checked like every other way in and stored, so the next lookup is local.
public protocol OrderSource: Sendable {
    var name: String { get }
    /// The shop's order `ref`, or nil when the shop has no such order.
    func order(ref: String) async throws(OrderSourceError) -> Order?
}

/// The order system failed to answer, or answered something that is not an order this service accepts.
public struct OrderSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    /// No answer in time (HTTP 504 at the edge) rather than a wrong one (502).
    public var timedOut: Bool

    public init(_ description: String, timedOut: Bool = false) {
        self.description = description
        self.timedOut = timedOut
    }
}

/// The default: only the local table, filled by `returns orders import` and the merchant API.
public struct LocalOrderSource: OrderSource {
    public let name = "local"
    public init() {}
    public func order(ref: String) async throws(OrderSourceError) -> Order? { nil }
}

/// A signed GET to the shop's systems: `GET {base}{path}`, signed like the webhooks (`Returns-Signature` over
/// `"GET {path}"`). Each attempt has `timeout` seconds, a failed one is tried again up to `attempts` times. 404 is
/// "no such thing" (nil); 200 gives the body.
public struct ShopLookup: Sendable {
    public let base: URL
    public let secret: String?
    public let timeout: TimeInterval
    public let attempts: Int
    let session: URLSession

    public init(base: URL, secret: String?, timeout: TimeInterval = 5, attempts: Int = 2) {
        self.base = base
        self.secret = secret
        self.timeout = timeout
        self.attempts = max(1, attempts)
        let configuration = URLSessionConfiguration.ephemeral
        // The deadline below is what bounds an attempt; URLSession's (idle) timeout only backs it up.
        configuration.timeoutIntervalForRequest = timeout + 1
        session = URLSession(configuration: configuration)
    }

    /// `GET {base}/{collection}/{id}`; `what` names the thing in errors ("order A-1", "variant SKU-1").
    func get(_ collection: String, _ id: String, what: String) async throws(OrderSourceError) -> Data? {
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        let path = "/\(collection)/\(encoded)"
        guard let url = URL(string: base.absoluteString.trimmingSuffix("/") + path) else {
            throw OrderSourceError("\(what) cannot be put in a URL under \(base.absoluteString)")
        }
        var last = OrderSourceError("the shop's system at \(base.absoluteString) was not asked")
        for _ in 0..<attempts {
            var request = URLRequest(url: url)
            request.httpMethod = "GET"
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            if let secret {
                request.setValue(
                    WebhookSignature.header(
                        secret: secret, timestamp: Int(Date().timeIntervalSince1970), body: Data("GET \(path)".utf8)),
                    forHTTPHeaderField: WebhookSignature.headerName)
            }
            let answer: (Data, URLResponse)
            do {
                answer = try await withDeadline(timeout) { [session, request] in try await session.sendWithoutCancellation(request) }
            } catch let error as DeadlinePassed {
                last = OrderSourceError("the shop's system at \(base.absoluteString) gave \(error)", timedOut: true)
                continue
            } catch let error as URLError where error.code == .timedOut {
                last = OrderSourceError("the shop's system at \(base.absoluteString) gave no answer within \(timeout) s", timedOut: true)
                continue
            } catch {
                last = OrderSourceError("the shop's system at \(base.absoluteString) could not be reached: \(error.localizedDescription)")
                continue
            }
            let status = (answer.1 as? HTTPURLResponse)?.statusCode ?? 0
            switch status {
            case 404: return nil
            case 200: return answer.0
            default: last = OrderSourceError("the shop's system at \(base.absoluteString) answered HTTP \(status) for \(what)")
            }
        }
        throw last
    }
}

/// An adapter over HTTP: `GET {base}/orders/{ref}` (`ShopLookup`), answered 200 with the order as JSON (the
/// merchant API's shape, `order_ref` included or left out) or 404.
public struct HTTPOrderSource: OrderSource {
    public let name = "http"
    public let lookup: ShopLookup

    public init(lookup: ShopLookup) { self.lookup = lookup }

    public init(base: URL, secret: String?, timeout: TimeInterval = 5, attempts: Int = 2) {
        lookup = ShopLookup(base: base, secret: secret, timeout: timeout, attempts: attempts)
    }

    public var base: URL { lookup.base }

    public func order(ref: String) async throws(OrderSourceError) -> Order? {
        guard let data = try await lookup.get("orders", ref, what: "order \(ref)") else { return nil }
        return try Self.decode(data, ref: ref, from: base)
    }

    /// The answer as an order, checked as the merchant API checks one; it must be the order asked for.
    static func decode(_ data: Data, ref: String, from base: URL) throws(OrderSourceError) -> Order {
        let refuse = { (why: String) in
            OrderSourceError("the order system at \(base.absoluteString) answered order \(ref) with \(why); nothing was stored")
        }
        guard case .object(var fields)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw refuse("something that is not a JSON object")
        }
        if let named = fields["order_ref"]?.stringValue, named != ref { throw refuse("another order (\(named))") }
        fields["order_ref"] = .string(ref)
        do { return try OrderFields.order(json: fields) } catch { throw refuse("an order this service refuses: \(error)") }
    }
}

/// Where a catalog variant not yet in the local table is looked up, like orders (`OrderSource`).
public protocol CatalogSource: Sendable {
    func variant(sku: String) async throws(OrderSourceError) -> CatalogVariant?
}

/// The default: only the local table, filled by `returns catalog import` and the merchant API.
public struct LocalCatalogSource: CatalogSource {
    public init() {}
    public func variant(sku: String) async throws(OrderSourceError) -> CatalogVariant? { nil }
}

/// `GET {base}/catalog/{sku}` (`ShopLookup`), answered 200 with the variant as the merchant API takes it, or 404.
public struct HTTPCatalogSource: CatalogSource {
    public let lookup: ShopLookup

    public init(lookup: ShopLookup) { self.lookup = lookup }

    public func variant(sku: String) async throws(OrderSourceError) -> CatalogVariant? {
        guard let data = try await lookup.get("catalog", sku, what: "variant \(sku)") else { return nil }
        let refuse = { (why: String) in
            OrderSourceError("the shop's system at \(lookup.base.absoluteString) answered variant \(sku) with \(why); nothing was stored")
        }
        guard case .object(var fields)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw refuse("something that is not a JSON object")
        }
        if let named = fields["sku"]?.stringValue, named != sku { throw refuse("another variant (\(named))") }
        fields["sku"] = .string(sku)
        do { return try CatalogFields.variant(json: fields) } catch { throw refuse("a variant this service refuses: \(error)") }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
