import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs programs with posix_spawn and waitpid. Foundation's `Process` can miss the exit of a child that starts a
/// daemon (pg_ctl does), leaving the caller waiting forever on a zombie.
public enum ChildProcess {
    /// Runs `executable` in `directory` to completion with stdin from /dev/null and stdout and stderr appended to
    /// `outputPath`. Returns the exit status (128 + signal when killed).
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String, outputPath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Int32 {
        try wait(spawn(executable, arguments, in: directory, outputPath: outputPath, environment: environment))
    }

    /// Starts `executable` and returns its process id; `wait(_:)` collects it. Standard error goes to `errorPath`
    /// when given, else with standard output.
    public static func spawn(
        _ executable: String, _ arguments: [String], in directory: String, outputPath: String,
        errorPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // posix_spawn_file_actions_addchdir_np is not imported into Swift; a shell changes directory instead.
        let script = "cd \"$0\" && exec \"$@\""
        let command = ["/bin/sh", "-c", script, directory, executable] + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment = environment
        environment.merge(["LC_ALL": "C"]) { current, _ in current }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }

        markDescriptorsCloseOnExec()
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw ClusterError.commandFailed(command: executable, detail: String(cString: strerror(spawned)))
        }
        return pid
    }

    /// Without this the child, and a server that pg_ctl starts, would keep copies of every socket and pipe this
    /// process has open without FD_CLOEXEC: peers never see them close, and waits on them hang.
    /// (posix_spawn_file_actions_addclosefrom_np is not imported into Swift.)
    static func markDescriptorsCloseOnExec() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in names.compactMap({ Int32($0) }) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Waits for `pid` and returns its exit status (128 + signal when killed).
    public static func wait(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else {
                throw ClusterError.commandFailed(command: "waitpid", detail: String(cString: strerror(errno)))
            }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
