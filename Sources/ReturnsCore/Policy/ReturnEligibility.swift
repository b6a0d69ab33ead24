import Foundation

/// An item of a return request, as policy sees it.
public struct RequestedItem: Sendable, Hashable {
    public var sku: String
    public var category: String
    public var reason: String
    public var lineTotal: Money

    public init(sku: String, category: String, reason: String, lineTotal: Money) {
        self.sku = sku
        self.category = category
        self.reason = reason
        self.lineTotal = lineTotal
    }
}

/// Why policy refuses a return request.
public struct PolicyRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// Which workflow a request goes to, and why.
public struct Routing: Sendable, Hashable {
    public var workflow: String
    public var because: String

    /// The workflow of routine returns, which logistics partners handle: a return in it is assigned a partner.
    public static let partnerWorkflow = "standard"

    public init(workflow: String, because: String) {
        self.workflow = workflow
        self.because = because
    }

    /// Whether a logistics partner handles the return (the others stay in-house or never ship).
    public var isForPartner: Bool { workflow == Self.partnerWorkflow }
}

extension ReturnPolicy {
    /// Every reason the request is refused (empty when it is accepted).
    public func refusals(for items: [RequestedItem], orderedAt: Date, now: Date) -> [PolicyRefusal] {
        var refusals: [PolicyRefusal] = []
        let age = Int(now.timeIntervalSince(orderedAt) / 86_400)
        for item in items {
            if nonReturnable.contains(item.category) {
                refusals.append(.init(field: "item \(item.sku)", reason: "\(item.category) items cannot be returned"))
                continue
            }
            if !reasonCodes.isEmpty && !reasonCodes.contains(item.reason) {
                refusals.append(
                    .init(
                        field: "item \(item.sku)",
                        reason: "reason '\(item.reason)' is not one of \(reasonCodes.sorted().joined(separator: ", "))"))
            }
            let window = window(for: item.category)
            if age > window {
                refusals.append(
                    .init(
                        field: "item \(item.sku)",
                        reason: "\(item.category) items can be returned within \(window) days of the order; this order is \(age) days old"))
            }
        }
        return refusals
    }

    /// Refusals from the block lists: the customer, the order, or a SKU.
    public func blocks(email: String, orderRef: String, skus: [String]) -> [PolicyRefusal] {
        var refusals: [PolicyRefusal] = []
        if blockedEmails.contains(email.lowercased()) || blockedOrders.contains(orderRef) {
            refusals.append(.init(field: "order \(orderRef)", reason: "returns of this order are not accepted; contact customer service"))
        }
        for sku in skus where blockedSKUs.contains(sku) {
            refusals.append(.init(field: "item \(sku)", reason: "this product cannot be returned"))
        }
        return refusals
    }

    /// Routes by value and by the customer's recent returns. Only a return made from an order of record
    /// (`ofRecord`) may be kept by the customer: the value of any other is only what its caller typed.
    public func route(total: Money, recentReturns: Int, ofRecord: Bool = true) -> Routing {
        let code = total.currency.code
        if recentReturns > flagAfterReturns {
            return Routing(
                workflow: "specialist", because: "customer has \(recentReturns) returns in 90 days (limit \(flagAfterReturns))")
        }
        if let threshold = specialistAbove[code], total.minorUnits > threshold {
            return Routing(workflow: "specialist", because: "worth \(total), above \(Money(minorUnits: threshold, currency: total.currency))")
        }
        // A policy that reviews high-value returns must say what high is in this currency; without a threshold the
        // return cannot be known to be under it, so a specialist reviews it.
        if !specialistAbove.isEmpty, specialistAbove[code] == nil {
            return Routing(
                workflow: "specialist",
                because: "the policy has no review threshold for \(code) (routing.specialist_above), so a specialist reviews it")
        }
        if ofRecord, let threshold = keepItBelow[code], total.minorUnits < threshold {
            return Routing(workflow: "keep-it", because: "worth \(total), below \(Money(minorUnits: threshold, currency: total.currency))")
        }
        return Routing(workflow: Routing.partnerWorkflow, because: "routine return")
    }
}
