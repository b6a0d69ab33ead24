import Foundation
import Hummingbird
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Health, metrics and the API's own description.
struct OperationsController: Sendable {
    typealias Context = ReturnsRequestContext

    let engine: Engine
    let metrics: HTTPMetrics
    let migrator: Migrator?
    /// The document with `servers` set to the configured public URL, made once.
    let document: String

    func addRoutes(to router: Router<Context>) {
        router.get("/health/live", use: live)
        router.get("/health/ready", use: ready)
        router.get("/metrics", use: exposition)
        router.get("/openapi.yaml", use: openAPI)
    }

    struct Health: Encodable {
        var status: String
        var database: String?
        var migrations: String?
        /// The read replica, when one is configured; it never makes the service unready (lookups fall back).
        var replica: ReplicaHealth?
    }

    struct ReplicaHealth: Encodable {
        /// `current`: status lookups read it; `lagging` or `down`: they read the primary.
        var status: String
        /// At most this far behind the primary; absent when it was never seen caught up.
        var lagSeconds: Double?
        var maximumLagSeconds: Double
        var detail: String?
    }

    var replicaHealth: ReplicaHealth? {
        engine.database.replica.map { replica in
            let status = replica.status
            return ReplicaHealth(
                status: status.verdict.rawValue, lagSeconds: status.lag.map { ($0.totalSeconds * 1000).rounded() / 1000 },
                maximumLagSeconds: replica.settings.maximumLag.totalSeconds, detail: status.detail)
        }
    }

    @Sendable func live(_ request: Request, context: Context) async throws -> Response {
        try JSONResponse.make(Health(status: "ok"), headers: [.cacheControl: "no-store"])
    }

    /// Ready when the database answers within two seconds and every migration this build knows is applied. The read
    /// replica's state and lag are reported beside.
    @Sendable func ready(_ request: Request, context: Context) async throws -> Response {
        let check = Task { () -> Bool in
            guard let migrator else { return true }
            return try await migrator.isCurrent(engine.database)
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(2))
            check.cancel()
        }
        defer { timeout.cancel() }
        var health: Health
        do {
            let current = try await check.value
            health = Health(status: current ? "ready" : "not_ready", database: "ok", migrations: current ? "current" : "pending")
        } catch {
            health = Health(status: "not_ready", database: "unreachable", migrations: nil)
        }
        health.replica = replicaHealth
        return try JSONResponse.make(
            health, status: health.status == "ready" ? .ok : .serviceUnavailable, headers: [.cacheControl: "no-store"])
    }

    @Sendable func exposition(_ request: Request, context: Context) async throws -> Response {
        let text = try await metrics.exposition(engine: engine)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    init(engine: Engine, metrics: HTTPMetrics, migrator: Migrator?, configuration: ServerConfiguration) {
        self.engine = engine
        self.metrics = metrics
        self.migrator = migrator
        self.document = OpenAPIDocument.text(servedAt: configuration.publicBaseURL)
    }

    /// `application/yaml` (RFC 9512); `text/yaml` to a client that asks for it and not for `application/yaml`,
    /// for tools that read only `text/*` as text. Both are declared in the document.
    @Sendable func openAPI(_ request: Request, context: Context) async throws -> Response {
        let accept = request.headers[.accept]?.lowercased() ?? ""
        let asksForText = accept.contains("text/yaml") && !accept.contains("application/yaml")
        let type = asksForText ? "text/yaml" : "application/yaml"
        return Response(
            status: .ok, headers: [.contentType: "\(type); charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: document)))
    }
}
