import ReturnsCore
import Testing

@Suite("Retrying failed notifications")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, base: .seconds(2), cap: .seconds(10), jitter: 0.5)

    @Test(
        "without jitter the wait doubles after each failure, up to the cap",
        arguments: [(1, 2_000), (2, 4_000), (3, 8_000), (4, 10_000)] as [(Int, Int64)])
    func doubling(attempts: Int, milliseconds: Int64) {
        #expect(policy.delay(afterFailedAttempt: attempts, random: 0) == .milliseconds(milliseconds))
    }

    @Test("jitter takes up to half the wait off, never adds to it")
    func jitterBand() {
        #expect(policy.delay(afterFailedAttempt: 2, random: 1) == .milliseconds(2_000))
        #expect(policy.delay(afterFailedAttempt: 2, random: 0.5) == .milliseconds(3_000))
        for step in 0..<100 {
            let delay = policy.delay(afterFailedAttempt: 3, random: Double(step) / 100)
            #expect(delay >= .milliseconds(4_000) && delay <= .milliseconds(8_000))
        }
    }

    @Test("the attempt that reaches the maximum makes the message dead")
    func dead() {
        #expect(policy.decide(afterFailedAttempt: 4, random: 0) == .retry(after: .seconds(10)))
        #expect(policy.decide(afterFailedAttempt: 5, random: 0) == .dead)
        #expect(RetryPolicy(maxAttempts: 1).decide(afterFailedAttempt: 1, random: 0) == .dead)
    }
}
