import Foundation
import Glibc

extension BuiltTools {
    /// musl-gcc, which builds the hostile and exhaustion programs in Tests/Hostile.
    static var muslGCC: String? {
        ["/usr/bin/musl-gcc", "/usr/local/bin/musl-gcc"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let muslMissing = "musl-gcc is missing (apt-get install musl-tools): the programs in Tests/Hostile cannot be built"

    /// Builds `Tests/Hostile/<name>.c` with `musl-gcc -static` (the ABI header on the
    /// include path) into the scratch directory and returns the program's path.
    func buildHostile(_ name: String) throws -> String {
        guard let gcc = BuiltTools.muslGCC else { throw Missing(description: BuiltTools.muslMissing) }
        let source = BuiltTools.packageRoot.appendingPathComponent("Tests/Hostile/\(name).c")
        let include = BuiltTools.packageRoot.appendingPathComponent("Sources/Hypervisor/ABI/include")
        let binary = scratch.appendingPathComponent(name)
        let result = try run(URL(fileURLWithPath: gcc), ["-static", "-O1", "-I", include.path, "-o", binary.path, source.path])
        guard result.status == 0 else { throw Missing(description: "musl-gcc failed on \(source.path): \(result.stderr)") }
        return binary.path
    }

    /// How a spawned process ended, what it printed, and its peak memory.
    struct Measured {
        /// The exit code, or 128 + the signal that killed it.
        var status: Int32
        /// Whether it exited (rather than being killed by a signal).
        var exitedNormally: Bool
        /// Peak resident set size (wait4's ru_maxrss), in KiB.
        var maxRSSKiB: Int
        /// Bytes written to stdout, all counted; the first `keptOutput` kept (and `keptErrors` of stderr).
        var stdoutCount: Int
        var stdout: Data
        var stderr: String
    }

    /// How much of stdout (first bytes) and stderr a `Measured` keeps.
    static let keptOutput = 1 << 16, keptErrors = 1 << 20

    /// Runs `executable` with `posix_spawn` (stdin /dev/null, stdout and stderr piped
    /// and drained concurrently), calls `whileRunning` with its pid and a way to wait
    /// for text on its stdout, then reaps it with `wait4` for its resource usage.
    func spawnMeasured(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        whileRunning: (pid_t, _ waitForOutput: (String, Double) -> Bool) -> Void = { _, _ in }
    ) throws -> Measured {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw Missing(description: "pipe failed: \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        // As a shell starts a foreground job: no signal blocked, SIGINT and SIGTERM at their
        // default action (a test runner's threads may block or ignore them; the program, like
        // any, would inherit that).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw Missing(description: "cannot spawn \(executable): \(String(cString: strerror(spawned)))")
        }

        let collected = OutputCollector()
        let group = DispatchGroup()
        for (fd, isStdout) in [(outPipe[0], true), (errPipe[0], false)] {
            DispatchQueue.global().async(group: group) {
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = read(fd, &chunk, chunk.count)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    collected.append(chunk[0..<n], toStdout: isStdout)
                }
                close(fd)
            }
        }
        whileRunning(pid) { text, seconds in
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if collected.stdoutContains(text) { return true }
                usleep(10_000)
            }
            return false
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        group.wait()
        let exited = status & 0x7F == 0
        return Measured(status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), exitedNormally: exited,
                        maxRSSKiB: usage.ru_maxrss, stdoutCount: collected.stdoutCount, stdout: collected.stdout,
                        stderr: String(decoding: collected.stderr, as: UTF8.self))
    }
}

/// Output of a spawned process, appended from reader threads.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var stdout = Data()
    private(set) var stderr = Data()
    private(set) var stdoutCount = 0

    func append(_ bytes: ArraySlice<UInt8>, toStdout: Bool) {
        lock.lock(); defer { lock.unlock() }
        if toStdout {
            stdoutCount += bytes.count
            if stdout.count < BuiltTools.keptOutput { stdout.append(contentsOf: bytes.prefix(BuiltTools.keptOutput - stdout.count)) }
        } else if stderr.count < BuiltTools.keptErrors {
            stderr.append(contentsOf: bytes.prefix(BuiltTools.keptErrors - stderr.count))
        }
    }

    func stdoutContains(_ text: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: stdout, as: UTF8.self).contains(text)
    }
}
