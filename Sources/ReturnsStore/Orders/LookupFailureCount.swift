/// Failed lookups of one address or order, counted in fixed windows and judged over a sliding one: the current
/// window's count plus the previous window's, weighted by the share of it the sliding window still covers. A fixed
/// window alone forgets a burst at its edge (ten guesses at 10:14:59 and ten more at 10:15:00); the previous window's
/// share is rounded up, so a burst across the edge counts in full.
public struct LookupFailureCount: Sendable, Hashable {
    public var previous: Int
    public var current: Int
    /// Seconds since the current window began.
    public var elapsed: Int
    public var window: Int

    public init(previous: Int, current: Int, elapsed: Int, window: Int) {
        self.previous = previous
        self.current = current
        self.elapsed = min(max(elapsed, 0), window - 1)
        self.window = window
    }

    /// The failures in the last `window` seconds, as far as two counts can tell.
    public var failures: Int { current + Self.share(of: previous, left: window - elapsed, window: window) }

    /// Seconds until `failures` falls below `limit` if nothing more fails; at least 1.
    public func secondsUntil(below limit: Int) -> Int {
        guard failures >= limit else { return 1 }
        let untilEdge = window - elapsed
        // Within this window the previous one's share shrinks: it must come to at most `room`.
        let room = limit - 1 - current
        if room >= 0, previous > 0 {
            // share(previous, left) <= room  ⇔  previous * left <= room * window
            let left = room * window / previous
            if left < untilEdge { return max(1, untilEdge - left) }
        }
        // In the next window this one's count is the previous: its share must come to at most `limit - 1`.
        guard current > 0 else { return max(1, untilEdge) }
        let left = (limit - 1) * window / current
        return max(1, untilEdge + window - min(left, window))
    }

    /// `count` weighted by `left / window`, rounded up.
    private static func share(of count: Int, left: Int, window: Int) -> Int {
        (count * left + window - 1) / window
    }
}
