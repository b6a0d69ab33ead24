import Foundation
import ReturnsCore
@testable import ReturnsEngine
import ReturnsStore
import Synchronization
@testable import ReturnsTestSupport
import Testing

/// The idempotency protocol on its own: `Idempotency.once` and the key derivations beside it.
@Suite("Idempotency")
struct IdempotencyTests {
    struct Answer: Replayable, Equatable {
        var returnID: UUID
        var value: Int
        var replayed = false
    }

    @Test("keys derived from a caller's key are distinct per step, refund and manifest step")
    func derivations() {
        let id = UUID(uuidString: "3F2B8C1E-5D4A-4F6B-9C1D-2E3F4A5B6C7D")!
        #expect(IdempotencyKey.step("k1", event: "grade") == "k1#grade")
        #expect(IdempotencyKey.manifestStep("receive") == "manifest:receive")
        #expect(IdempotencyKey.refund(returnID: id, seq: 7) == "refund:3f2b8c1e-5d4a-4f6b-9c1d-2e3f4a5b6c7d:7")
        let applying = IdempotencyKey.applying(key: "k1", event: "receive", data: [:], to: id)
        #expect(applying.scope == "3f2b8c1e-5d4a-4f6b-9c1d-2e3f4a5b6c7d")
        #expect(!applying.locksItself)
        let creating = IdempotencyKey.creating(key: "k1", request: ["a"])
        #expect(creating.scope == "create" && creating.locksItself && creating.lockName == "create:k1")
    }

    @Test("the request hash tells different requests apart, whatever the order of the data's keys")
    func requestHash() {
        let id = UUID()
        let one = IdempotencyKey.applying(key: "k", event: "grade", data: ["grade": .string("A"), "x": .bool(true)], to: id)
        let same = IdempotencyKey.applying(key: "k", event: "grade", data: ["x": .bool(true), "grade": .string("A")], to: id)
        let other = IdempotencyKey.applying(key: "k", event: "grade", data: ["grade": .string("B"), "x": .bool(true)], to: id)
        #expect(one.requestHash == same.requestHash)
        #expect(one.requestHash != other.requestHash)
        // Parts are separated, so moving text from one part to the next is another request.
        #expect(IdempotencyKey.fingerprint(["ab", "c"]) != IdempotencyKey.fingerprint(["a", "bc"]))
    }

    @Test("a repeated key replays the recorded answer without running again; another request under it is refused")
    func once() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let idempotency = Idempotency(keys: engine.store.keys)
            let runs = Mutex(0)
            func attempt(_ data: [String: JSONValue]) async throws -> Answer {
                let key = IdempotencyKey.applying(key: "once-1", event: "probe", data: data, to: id)
                return try await engine.database.transaction { connection in
                    try await idempotency.once(key, on: connection) {
                        runs.withLock { $0 += 1 }
                        return Answer(returnID: id, value: 42)
                    }
                }
            }
            let first = try await attempt(["n": .number(1)])
            let second = try await attempt(["n": .number(1)])
            #expect(first == Answer(returnID: id, value: 42, replayed: false))
            #expect(second == Answer(returnID: id, value: 42, replayed: true))
            #expect(runs.withLock { $0 } == 1)
            await #expect(throws: EngineError.idempotencyKeyReused(key: "once-1")) {
                _ = try await attempt(["n": .number(2)])
            }
            #expect(runs.withLock { $0 } == 1)
            let keys: [Int] = try await engine.rows(
                "SELECT count(*)::int FROM idempotency_keys WHERE key = 'once-1'", as: Int.self)
            #expect(keys == [1])
        }
    }

    @Test("a command that fails records no key, so the corrected command runs under the same key")
    func failureRecordsNothing() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            let idempotency = Idempotency(keys: engine.store.keys)
            let key = IdempotencyKey.applying(key: "once-2", event: "probe", data: [:], to: id)
            await #expect(throws: EngineError.self) {
                _ = try await engine.database.transaction { connection in
                    try await idempotency.once(key, on: connection) { () async throws -> Answer in
                        throw EngineError.invalidInput(field: "probe", reason: "refused")
                    }
                }
            }
            let answer = try await engine.database.transaction { connection in
                try await idempotency.once(key, on: connection) { Answer(returnID: id, value: 7) }
            }
            #expect(answer == Answer(returnID: id, value: 7, replayed: false))
        }
    }
}
