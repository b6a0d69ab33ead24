import ReturnsStore
import Testing

@Suite("Failed lookups over a sliding window")
struct LookupFailureCountTests {
    @Test("the previous window counts by the share the sliding window still covers, rounded up")
    func weighting() {
        // A burst at the edge counts in full just after it.
        #expect(LookupFailureCount(previous: 10, current: 0, elapsed: 1, window: 900).failures == 10)
        #expect(LookupFailureCount(previous: 10, current: 2, elapsed: 0, window: 900).failures == 12)
        // Halfway through, half of it; at the end, what is left of it rounds up to one.
        #expect(LookupFailureCount(previous: 10, current: 1, elapsed: 450, window: 900).failures == 6)
        #expect(LookupFailureCount(previous: 10, current: 0, elapsed: 899, window: 900).failures == 1)
        #expect(LookupFailureCount(previous: 0, current: 3, elapsed: 899, window: 900).failures == 3)
    }

    @Test("the wait until a limit is free again is the first second the count falls below it")
    func secondsUntilBelow() {
        let window = 900
        for count in [
            LookupFailureCount(previous: 10, current: 0, elapsed: 0, window: window),
            LookupFailureCount(previous: 10, current: 4, elapsed: 300, window: window),
            LookupFailureCount(previous: 0, current: 10, elapsed: 100, window: window),
            LookupFailureCount(previous: 3, current: 12, elapsed: 899, window: window),
            LookupFailureCount(previous: 9, current: 1, elapsed: 2, window: window),
        ] {
            let wait = count.secondsUntil(below: 10)
            #expect(count.failures >= 10)
            #expect(later(count, by: wait).failures < 10, "\(count) after \(wait) s")
            #expect(later(count, by: wait - 1).failures >= 10, "\(count) after \(wait - 1) s")
        }
        #expect(LookupFailureCount(previous: 2, current: 2, elapsed: 5, window: window).secondsUntil(below: 10) == 1)
    }

    /// `count` as it stands `seconds` later with no more failures.
    private func later(_ count: LookupFailureCount, by seconds: Int) -> LookupFailureCount {
        let at = count.elapsed + seconds
        switch at / count.window {
        case 0: return LookupFailureCount(previous: count.previous, current: count.current, elapsed: at, window: count.window)
        case 1:
            return LookupFailureCount(
                previous: count.current, current: 0, elapsed: at - count.window, window: count.window)
        default: return LookupFailureCount(previous: 0, current: 0, elapsed: at % count.window, window: count.window)
        }
    }
}
