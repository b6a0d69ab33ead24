/// When to try a failed notification again, and when to give up on it.
///
/// Attempt n (1-based) that failed waits `base * 2^(n-1)`, capped at `cap`, then scaled by a random factor in
/// `1 - jitter ... 1`, so dispatchers that failed together do not all come back at the same moment.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts before a message is parked as dead.
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// Fraction of the delay that is random, 0 ... 1.
    public var jitter: Double

    public init(
        maxAttempts: Int = 8, base: Duration = .seconds(5), cap: Duration = .seconds(3_600), jitter: Double = 0.5
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    /// What happens after the `attempts`-th attempt failed.
    public enum Decision: Sendable, Hashable {
        case retry(after: Duration)
        case dead
    }

    public func decide(afterFailedAttempt attempts: Int, random: Double) -> Decision {
        guard attempts < maxAttempts else { return .dead }
        return .retry(after: delay(afterFailedAttempt: attempts, random: random))
    }

    /// The wait after the `attempts`-th failure; `random` in 0 ..< 1 picks the point within the jitter band.
    public func delay(afterFailedAttempt attempts: Int, random: Double) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let uncapped = base.seconds * Double(1 << exponent)
        let capped = min(uncapped, cap.seconds)
        let factor = 1 - jitter * min(max(random, 0), 1)
        return .milliseconds(Int64((capped * factor * 1_000).rounded()))
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
