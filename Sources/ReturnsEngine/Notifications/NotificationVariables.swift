import Foundation
import Mustache
import ReturnsCore

/// The variables a template can use: what the engine writes into every outbox payload, plus the event data a
/// transition's guard guarantees. The workflow check renders templates with exactly these names.
public enum NotificationVariables {
    /// Provided for every notification.
    public static let always: Set<String> = [
        "order_ref", "event", "state", "status_url", "status_token", "refund_amount", "return_id", "locale",
    ]

    /// The event data key a guard guarantees to be present.
    static func dataKey(of guardValue: Guard) -> String {
        switch guardValue {
        case .hasTrackingNumber: "tracking_number"
        case .hasGrade: "grade"
        case .hasReason: "reason"
        }
    }

    /// The names a template sent by `transition` may use.
    public static func provided(by transition: Transition) -> Set<String> {
        var names = always
        if let name = transition.guardName, let guardValue = Guard(rawValue: name) {
            names.insert(dataKey(of: guardValue))
        }
        return names
    }

    /// The rendering context of one message: the event data first, then the engine's own keys over it.
    public static func make(
        payload: OutboxPayload, returnID: UUID, locale: String, publicBaseURL: String
    ) -> [String: Any] {
        var variables: [String: Any] = [:]
        for (key, value) in payload.data { variables[key] = plain(value) }
        variables["order_ref"] = payload.orderRef
        variables["event"] = payload.event
        variables["state"] = payload.state
        variables["status_token"] = payload.statusToken
        variables["status_url"] = statusURL(base: publicBaseURL, token: payload.statusToken)
        variables["return_id"] = returnID.uuidString.lowercased()
        variables["locale"] = locale
        variables["refund_amount"] = refundAmount(payload: payload, locale: locale)
        return variables
    }

    /// `BASE/status/TOKEN`: the customer's status page.
    public static func statusURL(base: String, token: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/status/\(token)"
    }

    /// What was refunded or is on its way, like "109.80 EUR", with a decimal comma where the locale writes one.
    static func refundAmount(payload: OutboxPayload, locale: String) -> String {
        guard let currency = try? Currency(code: payload.currency) else { return "" }
        return Money(minorUnits: payload.refundMinor, currency: currency).formatted(locale: locale, withCode: true)
    }

    static func plain(_ value: JSONValue) -> Any {
        switch value {
        case .null: return ""
        case .bool(let flag): return flag
        case .number(let number):
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): return text
        case .array(let values): return values.map(plain)
        case .object(let object): return object.mapValues(plain)
        }
    }
}

/// A rendering context for the check: answers the provided names with samples and records every other name a
/// template asks for. Unknown names answer a non-empty marker, so sections over them open and what they hold is
/// checked too.
final class VariableProbe: MustacheParent {
    let provided: Set<String>
    private(set) var unknown: [String] = []

    init(provided: Set<String>) {
        self.provided = provided
    }

    func child(named name: String) -> Any? {
        if provided.contains(name) { return "sample-\(name)" }
        if !unknown.contains(name) { unknown.append(name) }
        return "<missing \(name)>"
    }
}
