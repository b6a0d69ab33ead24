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

/// An adapter over HTTP: `GET {base}/orders/{ref}`, signed like the webhooks (`Returns-Signature` over
/// `"GET /orders/{ref}"`), answered 200 with the order as JSON (the merchant API's shape, `order_ref` included or
/// left out) or 404. Each attempt has `timeout` seconds, a failed one is tried again up to `attempts` times.
public struct HTTPOrderSource: OrderSource {
    public let name = "http"
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

    public func order(ref: String) async throws(OrderSourceError) -> Order? {
        let encoded = ref.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? ref
        let path = "/orders/\(encoded)"
        guard let url = URL(string: base.absoluteString.trimmingSuffix("/") + path) else {
            throw OrderSourceError("order \(ref) cannot be put in a URL under \(base.absoluteString)")
        }
        var last = OrderSourceError("the order system at \(base.absoluteString) was not asked")
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
                last = OrderSourceError("the order system at \(base.absoluteString) gave \(error)", timedOut: true)
                continue
            } catch let error as URLError where error.code == .timedOut {
                last = OrderSourceError("the order system at \(base.absoluteString) gave no answer within \(timeout) s", timedOut: true)
                continue
            } catch {
                last = OrderSourceError("the order system at \(base.absoluteString) could not be reached: \(error.localizedDescription)")
                continue
            }
            let status = (answer.1 as? HTTPURLResponse)?.statusCode ?? 0
            switch status {
            case 404:
                return nil
            case 200:
                return try Self.decode(answer.0, ref: ref, from: base)
            default:
                last = OrderSourceError("the order system at \(base.absoluteString) answered HTTP \(status) for order \(ref)")
            }
        }
        throw last
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

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
