import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsStore

#if canImport(Glibc)
    import Glibc
#endif

struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Manage the staff who sign in to the console (/console): add, list, revoke.",
        discussion: """
            Roles: ops (every return, notifications, follow-ups of "no" answers), finance (manual reviews, failed \
            refunds), partner (one partner's returns: receipts and inspections; give --partner). Passwords are hashed \
            with scrypt; a session lasts 8 hours; 5 failed sign-ins in a row lock the account for 15 minutes.
            """,
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a staff member (or replace their role and password).",
            discussion: """
                The password (12 characters or more) is typed twice at a prompt, or read from the first line of \
                standard input when it is not a terminal; it is never an argument, so it stays out of the shell's history.
                """)

        @Argument(help: "The staff member's email address; they sign in with it.")
        var email: String
        @Option(help: "ops, finance or partner.")
        var role: StaffRole
        @Option(help: "For --role partner: the partner they work for.")
        var partner: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if role == .partner, partner == nil { throw ValidationError("--role partner needs --partner NAME") }
            if role != .partner, partner != nil { throw ValidationError("--partner goes with --role partner only") }
        }

        func run() async throws {
            let password = try Self.readPassword()
            let member = try await database.withEngine { engine in
                try await engine.staff.add(email: email, role: role, partner: partner, password: password)
            }
            if output.json {
                struct Added: Encodable { var email, role: String; var partner: String? }
                return try printJSON(Added(email: member.email, role: member.role.rawValue, partner: member.partnerName))
            }
            print("staff \(member.email) added as \(member.role.rawValue)\(member.partnerName.map { " of \($0)" } ?? "")")
        }

        static func readPassword() throws -> String {
            guard isatty(STDIN_FILENO) == 1 else {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("no password on standard input: pipe it in, or run at a terminal to be asked")
                }
                return line
            }
            let first = prompt("Password: ")
            let second = prompt("Again: ")
            guard first == second else { throw ValidationError("the two passwords differ; nothing was changed") }
            return first
        }

        /// Reads a line from the terminal without echoing it.
        static func prompt(_ text: String) -> String {
            FileHandle.standardError.write(Data(text.utf8))
            var settings = termios()
            tcgetattr(STDIN_FILENO, &settings)
            var silent = settings
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
            defer {
                tcsetattr(STDIN_FILENO, TCSANOW, &settings)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true) ?? ""
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the staff with their role and state.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let staff = try await database.withEngine { engine in try await engine.staff.list() }
            if output.json {
                struct Row: Encodable { var email, role: String; var partner: String?; var disabled: Bool; var lockedUntil: Date? }
                return try printJSON(
                    staff.map {
                        Row(email: $0.email, role: $0.role, partner: $0.partnerName, disabled: $0.disabled, lockedUntil: $0.lockedUntil)
                    })
            }
            if staff.isEmpty { return print("no staff yet; add one with `returns staff add EMAIL --role ROLE`") }
            print(
                Table(
                    header: ["EMAIL", "ROLE", "PARTNER", "STATE"],
                    rows: staff.map {
                        [
                            $0.email, $0.role, $0.partnerName ?? "-",
                            $0.disabled ? "revoked" : ($0.lockedUntil.map { $0 > Date() ? "locked" : "active" } ?? "active"),
                        ]
                    }
                ).text)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a staff member: their sessions end at once and they can no longer sign in.",
            discussion: "`returns staff add` with the same email gives them access again, with a new password.")

        @Argument(help: "The staff member's email address.")
        var email: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let sessions = try await database.withEngine({ engine in try await engine.staff.revoke(email: email) }) else {
                printError("no staff member \(email); `returns staff list` shows them")
                throw ExitCode(2)
            }
            print("staff \(email.lowercased()) revoked; \(sessions) session\(sessions == 1 ? "" : "s") ended")
        }
    }
}

extension StaffRole: ExpressibleByArgument {}
