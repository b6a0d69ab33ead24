import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsStore

/// Where the database is, shared by every command that needs one.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL (postgres://user:pass@host:5432/db). Default: $DATABASE_URL, else the embedded cluster.",
            valueName: "url"))
    var databaseURL: String?

    var resolvedURL: String? { Configuration.current.databaseURL(flag: databaseURL) }

    /// The chosen database's settings, starting the embedded cluster when no URL is given.
    func settings() async throws -> DatabaseSettings {
        try await Database.settings(databaseURL: resolvedURL, cluster: Configuration.current.cluster)
    }

    /// Runs `body` with an engine on the chosen database, turning failures into a message and an exit code.
    func withEngine<T>(_ body: (Engine) async throws -> T) async throws -> T {
        try await reportingErrors {
            try await App.withEngine(databaseURL: resolvedURL, body)
        }
    }
}

/// `--json` for every command that prints data.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of text.")
    var json = false
}

/// An export writes its CSV to standard output unless given `--output`; `--json` reports what went into that file.
func validateJSONNeedsFile(json: Bool, output: String?) throws {
    if json && output == nil {
        throw ValidationError("--json needs --output FILE: without it the CSV itself goes to standard output")
    }
}

/// Runs `body` with `--output`'s file (created or truncated), or standard output without one, and closes the file.
func writing<T>(to output: String?, _ body: (FileHandle) async throws -> T) async throws -> T {
    guard let output else { return try await body(FileHandle.standardOutput) }
    // Opened in place, not written to a temporary file and renamed: `--output /dev/null` must stay a device.
    let descriptor = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        throw ValidationError("cannot write \(output) (\(String(cString: strerror(errno)))); check that its folder exists and is writable")
    }
    let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    defer { try? file.close() }
    return try await body(file)
}

/// Checks the `--limit` of a list command (its `--status` is an enum that ArgumentParser checks).
func validateListLimit(_ limit: Int) throws {
    guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
}

/// Prints an error the way a person can act on it, and exits with the code its kind calls for.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as EngineError {
        printError(error.description)
        switch error.kind {
        case .notFound: throw ExitCode(2)
        case .invalid: throw ExitCode(64)
        case .conflict, .stale, .keyReused, .rateLimited: throw ExitCode(1)
        }
    } catch let error as StoreError {
        printError(error.description)
        if case .unreachable = error { throw ExitCode(69) }
        throw ExitCode(1)
    } catch let error as ClusterError {
        printError(error.description)
        throw ExitCode(69)
    } catch let error as WorkflowCatalogError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as ConfigurationError {
        printError(error.description)
        throw ExitCode(64)
    } catch {
        printError(StoreError.describe(error))
        throw ExitCode(1)
    }
}

/// Writes a line to standard error, as `error: message` unless another prefix is given.
func printError(_ message: String, prefix: String = "error: ") {
    FileHandle.standardError.write(Data("\(prefix)\(message)\n".utf8))
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func parseUUID(_ text: String) throws -> UUID {
    guard let id = UUID(uuidString: text) else {
        throw ValidationError("'\(text)' is not a return id; ids look like 3f2b8c1e-5d4a-4f6b-9c1d-2e3f4a5b6c7d")
    }
    return id
}

extension Date {
    var shortText: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: self)
    }
}
