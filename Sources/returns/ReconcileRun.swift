import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsReconcile
import ReturnsStore

/// Connects without migrating or deploying anything (reconciling writes nothing), runs `body` with the report's
/// destination, and turns the outcome into reconcile's exit codes: 0 all matched, 1 discrepancies, 2 bad input or
/// usage, 3 database unreachable.
func reconciling(
    _ database: DatabaseOptions, output: String?,
    _ body: (Database, FileHandle) async throws -> ReconcileSummary
) async throws {
    let summary: ReconcileSummary
    do {
        let logger = Configuration.current.logger()
        let settings = try await database.settings()
        summary = try await Database.with(settings, logger: logger) { db in
            try await writing(to: output) { handle in try await body(db, handle) }
        }
    } catch let error as ReconcileError {
        printError(error.description)
        throw ExitCode(2)
    } catch let error as ValidationError {
        printError(error.message)
        throw ExitCode(2)
    } catch let error as StoreError {
        printError(error.description)
        throw ExitCode(3)
    } catch let error as ClusterError {
        printError(error.description)
        throw ExitCode(3)
    } catch let error as DatabaseURLError {
        printError(error.description)
        throw ExitCode(2)
    } catch {
        printError("the database refused the reconciliation: \(StoreError.describe(error))")
        throw ExitCode(3)
    }
    if summary.discrepancies > 0 { throw ExitCode(1) }
}

func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
