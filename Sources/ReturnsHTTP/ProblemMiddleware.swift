import Hummingbird
import Logging
import ReturnsEngine
import ReturnsStore

/// Turns every error into a problem+json answer: engine refusals into 4xx, an unreachable database into 503,
/// anything unexpected into a 500 that is logged in full and says nothing internal.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed = AllowedMethods(document: OpenAPIDocument.text)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as EngineError {
            if case .orderSourceFailed = error {
                // The answer says only that the shop's system failed; what failed is for the operator.
                context.logger.warning("order lookup failed", metadata: ["error": "\(error.description)"])
            }
            throw Problem.from(error)
        } catch let error as HTTPError {
            if error.status == .notFound, let methods = allowed.methods(for: request.uri.path) {
                var problem = Problem(
                    .methodNotAllowed, "method-not-allowed", title: "This path does not take \(request.method.rawValue)",
                    detail: "use \(methods.joined(separator: " or "))")
                problem.allow = methods.joined(separator: ", ")
                throw problem
            }
            if error.status == .notFound { throw Problem.notFound }
            throw Problem(
                error.status, "http-\(error.status.code)", title: error.status.reasonPhrase,
                detail: error.body ?? error.status.reasonPhrase)
        } catch let error as StoreError {
            switch error {
            case .unreachable, .connectionLost: throw Self.unavailable(request.method)
            case .lockTimeout(let limit): throw Self.busy(request.method, limit: limit)
            case .statementTimeout(let limit): throw Self.slow(request.method, limit: limit)
            default: break
            }
            context.logger.error("store error", metadata: ["error": "\(String(reflecting: error))"])
            throw Self.internalError(request.method)
        } catch let error where StoreError.isDatabaseError(error) {
            // A connection that failed, not a statement: a retry is safe and is what the client should do, so the
            // answer is 503, not a 500.
            context.logger.error("database error", metadata: ["error": "\(String(reflecting: error))"])
            throw StoreError.isConnectionFailure(error) ? Self.unavailable(request.method) : Self.internalError(request.method)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            throw Self.internalError(request.method)
        }
    }

    /// What a client can safely do again: a POST with its Idempotency-Key, any read as it is.
    static func retryAdvice(_ method: HTTPRequest.Method) -> String {
        method == .post
            ? "retry with the same Idempotency-Key: a change already made is answered with its first result, never made twice"
            : "retry the request; reading changes nothing"
    }

    static func unavailable(_ method: HTTPRequest.Method) -> Problem {
        var problem = Problem(
            .serviceUnavailable, "database-unavailable", title: "The database cannot be reached",
            detail: "retry shortly: " + retryAdvice(method))
        problem.retryAfter = 1
        return problem
    }

    /// Another session held what the request needed (the return, most often) for longer than the lock wait allows.
    /// Nothing was written; the return is busy, not gone, so the answer is a conflict to retry, not a failure.
    static func busy(_ method: HTTPRequest.Method, limit: String) -> Problem {
        var problem = Problem(
            .conflict, "return-busy", title: "The return is being changed by another request",
            detail: "it stayed locked for more than \(limit); nothing was changed. Retry shortly: " + retryAdvice(method))
        problem.retryAfter = 1
        return problem
    }

    /// A statement outran the transaction's statement limit and was cancelled; nothing was written.
    static func slow(_ method: HTTPRequest.Method, limit: String) -> Problem {
        var problem = Problem(
            .serviceUnavailable, "database-busy", title: "The database is too slow to answer now",
            detail: "a statement took more than \(limit) and was cancelled; nothing was changed. Retry shortly: "
                + retryAdvice(method))
        problem.retryAfter = 2
        return problem
    }

    static func internalError(_ method: HTTPRequest.Method) -> Problem {
        Problem(
            .internalServerError, "internal", title: "Something went wrong on our side",
            detail: "the error is logged; " + retryAdvice(method))
    }
}
