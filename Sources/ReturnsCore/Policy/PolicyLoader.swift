import Yams

/// Reads `policy.yaml`, collecting every problem with its line.
public struct PolicyLoader {
    let file: String
    private var problems: [WorkflowProblem] = []

    /// The policy (nil when unusable) and every problem found.
    public static func load(yaml: String, file: String) -> (ReturnPolicy?, [WorkflowProblem]) {
        var loader = PolicyLoader(file: file)
        let policy = loader.read(yaml)
        return (loader.problems.isEmpty ? policy : nil, loader.problems)
    }

    init(file: String) {
        self.file = file
    }

    private mutating func problem(_ node: Node?, _ message: String) {
        problems.append(WorkflowProblem(file: file, line: node?.mark?.line ?? 1, message: message))
    }

    private mutating func read(_ yaml: String) -> ReturnPolicy? {
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                problem(nil, "the policy file is empty")
                return nil
            }
            root = composed
        } catch {
            problem(nil, "not valid YAML: \(error)")
            return nil
        }
        guard let top = root.mapping else {
            problem(root, "the policy must be a mapping")
            return nil
        }
        let known: Set<String> = [
            "return_window_days", "non_returnable", "reason_codes", "free_label_reasons", "routing", "restocking_fee",
            "label_cost", "default_disposition", "blocked", "allowed", "resolutions",
        ]
        for (key, _) in top where !known.contains(key.string ?? "") {
            problem(key, "unknown key '\(key.string ?? "")'; expected one of \(known.sorted().joined(separator: ", "))")
        }

        var windows: [String: Int] = [:]
        var defaultWindow = 30
        for (key, value) in top["return_window_days"]?.mapping ?? [:] {
            guard let days = value.string.flatMap(Int.init), days >= 0 else {
                problem(value, "return_window_days.\(key.string ?? ""): a number of days, 0 or more")
                continue
            }
            if key.string == "default" { defaultWindow = days } else { windows[key.string ?? ""] = days }
        }
        let reasons = Set(strings(top["reason_codes"], "reason_codes"))
        if reasons.isEmpty { problem(top["reason_codes"] ?? root, "reason_codes: list at least one reason code") }
        let free = Set(strings(top["free_label_reasons"], "free_label_reasons"))
        for entry in top["free_label_reasons"]?.sequence ?? [] {
            if let reason = entry.scalar?.string, !reasons.contains(reason) {
                problem(entry, "free_label_reasons: '\(reason)' is not one of reason_codes")
            }
        }

        if let routingNode = top["routing"] {
            checkKeys(routingNode, ["specialist_above", "keep_it_below", "flag_after_returns_in_90_days"], in: "routing")
        }
        let routing = top["routing"]?.mapping
        let flag = routing?["flag_after_returns_in_90_days"]
        var flagAfter = Int.max
        if let flag {
            if let value = flag.string.flatMap(Int.init), value >= 0 { flagAfter = value } else {
                problem(flag, "routing.flag_after_returns_in_90_days: a whole number, 0 or more")
            }
        }

        var fees: [Grade: ReturnPolicy.Fee] = [:]
        for (key, value) in top["restocking_fee"]?.mapping ?? [:] {
            guard let grade = key.string.flatMap(Grade.init(rawValue:)) else {
                problem(key, "restocking_fee: '\(key.string ?? "")' is not a grade (\(Grade.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            checkKeys(value, ["percent", "min", "max"], in: "restocking_fee.\(grade.rawValue)")
            guard let percent = value.mapping?["percent"]?.string.flatMap(Int.init), (0...100).contains(percent) else {
                problem(value.mapping?["percent"] ?? value, "restocking_fee.\(grade.rawValue).percent: a whole number from 0 to 100")
                continue
            }
            let minimum = amounts(value.mapping?["min"], "restocking_fee.\(grade.rawValue).min")
            let maximum = amounts(value.mapping?["max"], "restocking_fee.\(grade.rawValue).max")
            for (currency, low) in minimum where (maximum[currency] ?? .max) < low {
                problem(value, "restocking_fee.\(grade.rawValue): min is above max in \(currency)")
            }
            fees[grade] = ReturnPolicy.Fee(percent: percent, minimum: minimum, maximum: maximum)
        }

        var dispositions: [Grade: Disposition] = [:]
        for (key, value) in top["default_disposition"]?.mapping ?? [:] {
            guard let grade = key.string.flatMap(Grade.init(rawValue:)) else {
                problem(key, "default_disposition: '\(key.string ?? "")' is not a grade")
                continue
            }
            guard let disposition = value.string.flatMap(Disposition.init(rawValue:)) else {
                problem(
                    value,
                    "default_disposition.\(grade.rawValue): '\(value.string ?? "")' is not one of "
                        + Disposition.allCases.map(\.rawValue).joined(separator: ", "))
                continue
            }
            dispositions[grade] = disposition
        }
        for grade in Grade.allCases where dispositions[grade] == nil {
            problem(top["default_disposition"] ?? root, "default_disposition: no disposition for grade \(grade.rawValue)")
        }

        if let node = top["blocked"] { checkKeys(node, ["emails", "orders", "skus"], in: "blocked") }
        if let node = top["allowed"] { checkKeys(node, ["emails"], in: "allowed") }
        let blockedEmails = emails(top["blocked"]?.mapping?["emails"], "blocked.emails")
        let allowedEmails = emails(top["allowed"]?.mapping?["emails"], "allowed.emails")
        for email in blockedEmails.intersection(allowedEmails) {
            problem(top["allowed"], "allowed.emails: \(email) is blocked too; keep it in one list")
        }

        var resolutionTerms = ResolutionTerms.refundOnly
        if let node = top["resolutions"] { resolutionTerms = resolutions(node) }
        return ReturnPolicy(
            windowDays: windows, defaultWindowDays: defaultWindow,
            nonReturnable: Set(strings(top["non_returnable"], "non_returnable")), reasonCodes: reasons,
            freeLabelReasons: free, specialistAbove: amounts(routing?["specialist_above"], "routing.specialist_above"),
            keepItBelow: amounts(routing?["keep_it_below"], "routing.keep_it_below"), flagAfterReturns: flagAfter,
            restockingFees: fees, labelCost: amounts(top["label_cost"], "label_cost"),
            defaultDisposition: dispositions, blockedEmails: blockedEmails,
            blockedOrders: Set(strings(top["blocked"]?.mapping?["orders"], "blocked.orders")),
            blockedSKUs: Set(strings(top["blocked"]?.mapping?["skus"], "blocked.skus")), allowedEmails: allowedEmails,
            resolutions: resolutionTerms)
    }

    /// The `resolutions:` section: what is offered, store credit's bonus and expiry, the exchange rules, and when
    /// refunds are released per customer tier.
    private mutating func resolutions(_ node: Node) -> ResolutionTerms {
        var terms = ResolutionTerms()
        checkKeys(node, ["offered", "store_credit", "exchange", "release_on"], in: "resolutions")
        let section = node.mapping
        if let offered = section?["offered"] {
            var found: [Resolution] = []
            for entry in offered.sequence ?? [] {
                guard let resolution = entry.string.flatMap(Resolution.init(rawValue:)) else {
                    problem(entry, "resolutions.offered: '\(entry.string ?? "")' is not one of \(Self.names(Resolution.self))")
                    continue
                }
                found.append(resolution)
            }
            if offered.sequence == nil || found.isEmpty {
                problem(offered, "resolutions.offered: a list of at least one of \(Self.names(Resolution.self))")
            }
            terms.offered = found.isEmpty ? [.refund] : found
        }
        if let credit = section?["store_credit"] {
            checkKeys(credit, ["bonus_percent", "bonus_flat", "expires_after_days"], in: "resolutions.store_credit")
            if let percent = credit.mapping?["bonus_percent"] {
                if let value = percent.string.flatMap(Int.init), (0...100).contains(value) {
                    terms.storeCredit.bonusPercent = value
                } else {
                    problem(percent, "resolutions.store_credit.bonus_percent: a whole number from 0 to 100")
                }
            }
            terms.storeCredit.bonusFlat = amounts(credit.mapping?["bonus_flat"], "resolutions.store_credit.bonus_flat")
            if let days = credit.mapping?["expires_after_days"] {
                if let value = days.string.flatMap(Int.init), value > 0 {
                    terms.storeCredit.expiresAfterDays = value
                } else {
                    problem(days, "resolutions.store_credit.expires_after_days: a number of days, 1 or more")
                }
            }
        }
        if let exchange = section?["exchange"] {
            checkKeys(
                exchange,
                ["match", "price", "downsell", "waive_below", "ship_on", "hold_days", "out_of_stock", "instant_deadline_days"],
                in: "resolutions.exchange")
            let rules = exchange.mapping
            terms.exchange.match = choice(rules?["match"], "resolutions.exchange.match") ?? terms.exchange.match
            terms.exchange.price = choice(rules?["price"], "resolutions.exchange.price") ?? terms.exchange.price
            terms.exchange.shipOn = choice(rules?["ship_on"], "resolutions.exchange.ship_on") ?? terms.exchange.shipOn
            for (key, keyPath) in [("downsell", \ExchangeTerms.downsell), ("out_of_stock", \ExchangeTerms.outOfStock)] {
                guard let value = rules?[key] else { continue }
                let resolution = value.string.flatMap(Resolution.init(rawValue:))
                if let resolution, resolution != .exchange {
                    terms.exchange[keyPath: keyPath] = resolution
                } else {
                    problem(value, "resolutions.exchange.\(key): refund or store_credit")
                }
            }
            terms.exchange.waiveBelow = amounts(rules?["waive_below"], "resolutions.exchange.waive_below")
            for (key, keyPath) in [("hold_days", \ExchangeTerms.holdDays), ("instant_deadline_days", \ExchangeTerms.instantDeadlineDays)] {
                guard let days = rules?[key] else { continue }
                if let value = days.string.flatMap(Int.init), (1...365).contains(value) {
                    terms.exchange[keyPath: keyPath] = value
                } else {
                    problem(days, "resolutions.exchange.\(key): a number of days from 1 to 365")
                }
            }
        }
        if let release = section?["release_on"] {
            for (key, value) in release.mapping ?? [:] {
                guard let tier = key.string.flatMap(ReleaseTerms.Tier.init(rawValue:)) else {
                    problem(key, "resolutions.release_on: '\(key.string ?? "")' is not a tier (\(Self.names(ReleaseTerms.Tier.self)))")
                    continue
                }
                guard let moment = value.string.flatMap(ReleaseMoment.init(rawValue:)) else {
                    problem(value, "resolutions.release_on.\(tier.rawValue): one of \(Self.names(ReleaseMoment.self))")
                    continue
                }
                terms.release.moments[tier] = moment
            }
            if release.mapping == nil { problem(release, "resolutions.release_on: a mapping of tier to moment") }
        }
        return terms
    }

    /// One of an enumeration's raw values, or a problem naming them all.
    private mutating func choice<Value: RawRepresentable & CaseIterable>(_ node: Node?, _ name: String) -> Value?
    where Value.RawValue == String {
        guard let node else { return nil }
        if let value = node.string.flatMap(Value.init(rawValue:)) { return value }
        problem(node, "\(name): '\(node.string ?? "")' is not one of \(Self.names(Value.self))")
        return nil
    }

    private static func names<Value: RawRepresentable & CaseIterable>(_: Value.Type) -> String
    where Value.RawValue == String {
        Value.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// A list of email addresses, lower-cased; each must be one.
    private mutating func emails(_ node: Node?, _ section: String) -> Set<String> {
        var found: Set<String> = []
        for entry in node?.sequence ?? [] {
            guard let text = entry.scalar?.string, EmailAddress(text) != nil else {
                problem(entry, "\(section): '\(entry.scalar?.string ?? "")' is not an email address like name@example.com")
                continue
            }
            found.insert(text.lowercased())
        }
        if let node, node.sequence == nil { problem(node, "\(section): a list of email addresses") }
        return found
    }

    private mutating func checkKeys(_ node: Node, _ allowed: Set<String>, in section: String) {
        for (key, _) in node.mapping ?? [:] where !allowed.contains(key.string ?? "") {
            problem(
                key,
                "\(section): unknown key '\(key.string ?? "")'; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    private mutating func strings(_ node: Node?, _ name: String) -> [String] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            problem(node, "\(name): a list of names")
            return []
        }
        return sequence.compactMap { $0.scalar?.string }
    }

    /// `{EUR: "1.00", JPY: "150"}`: amounts in each currency's minor units, checked against its exponent.
    private mutating func amounts(_ node: Node?, _ name: String) -> [String: Int64] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            problem(node, "\(name): a mapping of currency to amount, like {EUR: \"5.95\"}")
            return [:]
        }
        var result: [String: Int64] = [:]
        for (key, value) in mapping {
            do {
                let currency = try Currency(code: key.string ?? "")
                let money = try Money.parse(value.string ?? "", currency: currency)
                guard money.minorUnits >= 0 else { throw MoneyError.notADecimal(value.string ?? "") }
                result[currency.code] = money.minorUnits
            } catch {
                problem(value, "\(name).\(key.string ?? ""): \(error)")
            }
        }
        return result
    }
}
