import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program to start with full control over what it sees: exact argv (including
/// `argv[0]`), exact environment, stdin bytes, working directory and a deadline.
public struct ProcessRequest: Sendable {
    /// The absolute path of the program to execute.
    public var executable: String
    /// The complete argv, `argv[0]` included.
    public var arguments: [String]
    /// The complete environment as `KEY=VALUE`; nothing is inherited.
    public var environment: [String]
    /// The bytes the program reads on stdin; it then sees end of file.
    public var stdin: [UInt8]
    /// Whether stdin is instead the terminal end of a fresh pseudo-terminal, which is no
    /// process's controlling terminal (a session the program makes may take it).
    public var stdinIsTerminal = false
    /// The working directory of the new process.
    public var workingDirectory: String
    /// After this many seconds the process group is killed with SIGKILL.
    public var timeoutSeconds: Double
    /// When stdout plus stderr grow past this many bytes the process group is killed too,
    /// so a runaway loop cannot fill the disk before its deadline.
    public var outputLimit = 64 << 20

    public init(executable: String, arguments: [String], environment: [String], stdin: [UInt8] = [],
                workingDirectory: String, timeoutSeconds: Double) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.stdin = stdin
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
    }
}

/// What a finished process did: how it ended and what it wrote.
public struct ProcessOutcome: Sendable, Equatable {
    /// How the process ended (SIGKILL when it was killed at its deadline).
    public var status: ExitStatus
    /// Whether the process was killed because it ran past its deadline.
    public var timedOut: Bool
    /// Whether the process was killed because it wrote more than its output limit.
    public var exceededOutputLimit = false
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Wall-clock time from spawn to exit.
    public var seconds: Double

    public init(status: ExitStatus, timedOut: Bool = false, stdout: [UInt8] = [], stderr: [UInt8] = [],
                seconds: Double = 0) {
        self.status = status
        self.timedOut = timedOut
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
    }
}

/// Why a fixture could not be run at all (as opposed to running and misbehaving).
public enum RunError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A temporary directory or capture file could not be created.
    case temporaryFiles(reason: String)
    /// `posix_spawn` refused to start the program.
    case spawnFailed(executable: String, errno: Int32)
    /// The directory a run left behind could not be read.
    case snapshotFailed(path: String, reason: String)
    /// The hypervisor binary does not exist or is not executable.
    case hypervisorMissing(path: String)
    /// A program could not be copied into the working directory (`conformance-programs:`).
    case placementFailed(path: String, reason: String)
    /// The fixture's host server (`conformance-host-server:`) did not start or did not accept
    /// connections in time.
    case hostServerFailed(command: String, reason: String)

    public var description: String {
        switch self {
        case let .temporaryFiles(reason):
            "cannot create temporary files: \(reason)"
        case let .spawnFailed(executable, code):
            "cannot start \(executable): \(String(cString: strerror(code)))"
        case let .snapshotFailed(path, reason):
            "cannot read what the run left in \(path): \(reason)"
        case let .hypervisorMissing(path):
            "no hypervisor at \(path): build it with `swift build -c release` or pass --hypervisor"
        case let .placementFailed(path, reason):
            "cannot place the program \(path) in the working directory: \(reason)"
        case let .hostServerFailed(command, reason):
            "conformance-host-server: `\(command)`: \(reason)"
        }
    }
}

/// Starts programs with `posix_spawn` and collects their outcome.
///
/// stdin, stdout and stderr are files in a private temporary directory (never the working
/// directory, whose contents are compared), so no pipe can fill up and deadlock. The child
/// gets only fds 0-2, default signal dispositions, an empty signal mask and its own process
/// group, which is what is killed at the deadline.
public enum ProcessRunner {
    /// Runs `request` to completion or to its deadline.
    public static func run(_ request: ProcessRequest) async throws(RunError) -> ProcessOutcome {
        let captureDirectory = try TemporaryDirectory(prefix: "conformance-io")
        defer { captureDirectory.remove() }
        let stdinPath = captureDirectory.path + "/stdin"
        let stdoutPath = captureDirectory.path + "/stdout"
        let stderrPath = captureDirectory.path + "/stderr"
        guard FileManager.default.createFile(atPath: stdinPath, contents: Data(request.stdin)) else {
            throw .temporaryFiles(reason: "cannot write \(stdinPath)")
        }
        let terminal = request.stdinIsTerminal ? PseudoTerminal() : nil
        defer { terminal?.close() }
        if request.stdinIsTerminal, terminal == nil {
            throw .temporaryFiles(reason: "cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let stdinFD = terminal.map { fcntl($0.terminal, F_DUPFD_CLOEXEC, 0) } ?? open(stdinPath, O_RDONLY | O_CLOEXEC)
        let stdoutFD = open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let stderrFD = open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }
        }
        guard stdinFD >= 0, stdoutFD >= 0, stderrFD >= 0 else {
            throw .temporaryFiles(reason: String(cString: strerror(errno)))
        }

        let start = ContinuousClock.now
        let pid = try spawn(request, stdin: stdinFD, stdout: stdoutFD, stderr: stderrFD)
        let deadline = start + .milliseconds(Int64(request.timeoutSeconds * 1000))
        var waitStatus: Int32 = 0
        var timedOut = false
        var exceededOutputLimit = false
        var pause = Duration.milliseconds(1)
        while true {
            let reaped = waitpid(pid, &waitStatus, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { break }
            exceededOutputLimit = fileSize(stdoutFD) + fileSize(stderrFD) > request.outputLimit
            timedOut = ContinuousClock.now >= deadline
            if timedOut || exceededOutputLimit {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
                break
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
        let elapsed = ContinuousClock.now - start
        var outcome = ProcessOutcome(
            status: ExitStatus(waitStatus: waitStatus),
            timedOut: timedOut,
            stdout: readBytes(stdoutPath),
            stderr: readBytes(stderrPath),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        )
        outcome.exceededOutputLimit = exceededOutputLimit
        return outcome
    }

    /// A pseudo-terminal pair opened without making it anyone's controlling terminal.
    struct PseudoTerminal {
        /// The multiplexer end, held open while the program runs (its input stays empty).
        let controller: Int32
        /// The terminal end the program gets as stdin.
        let terminal: Int32

        /// Linux's TIOCSPTLCK (unlock the terminal end) and TIOCGPTPEER (open it by the
        /// multiplexer, without a path lookup).
        static let unlockRequest: UInt = 0x4004_5431, openPeerRequest: UInt = 0x5441

        init?() {
            controller = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
            guard controller >= 0 else { return nil }
            var locked: Int32 = 0
            guard ioctl(controller, Self.unlockRequest, &locked) == 0 else {
                Glibc.close(controller)
                return nil
            }
            terminal = ioctl(controller, Self.openPeerRequest, O_RDWR | O_NOCTTY | O_CLOEXEC)
            guard terminal >= 0 else {
                Glibc.close(controller)
                return nil
            }
        }

        func close() {
            Glibc.close(terminal)
            Glibc.close(controller)
        }
    }

    private static func fileSize(_ fd: Int32) -> Int {
        var status = stat()
        return fstat(fd, &status) == 0 ? Int(status.st_size) : 0
    }

    /// Starts `request`'s program in a process group of its own with the given fds as 0-2 and
    /// returns its pid; the caller waits for it.
    static func spawn(_ request: ProcessRequest, stdin: Int32, stdout: Int32,
                      stderr: Int32) throws(RunError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        guard let addCloseFrom = SpawnExtensions.addCloseFrom, let addChdir = SpawnExtensions.addChdir else {
            throw .spawnFailed(executable: request.executable, errno: ENOSYS)
        }
        _ = addCloseFrom(&actions, 3)
        _ = addChdir(&actions, request.workingDirectory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = request.arguments.map { strdup($0) } + [nil]
        let envp = request.environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, request.executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw .spawnFailed(executable: request.executable, errno: result) }
        return pid
    }

    private static func readBytes(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
    }
}

/// The glibc (2.34+) spawn file actions that Swift's Glibc module does not import
/// (they are declared only for `_GNU_SOURCE`-style feature macros), looked up at run time.
enum SpawnExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np`: closes every fd from a number up in the child.
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    /// `posix_spawn_file_actions_addchdir_np`: sets the child's working directory.
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        // SAFETY: the symbol is a glibc function whose C signature the typealias spells out.
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: Function.self) }
    }
}

/// A fresh directory under the system temporary directory, removed by its owner when done.
public struct TemporaryDirectory: Sendable {
    /// The absolute path of the directory.
    public let path: String

    /// Creates a new, empty, uniquely named directory.
    public init(prefix: String) throws(RunError) {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw .temporaryFiles(reason: "mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        // Resolve symlinks (e.g. /tmp -> /private/tmp) so both sides see one spelling.
        path = URL(fileURLWithPath: String(cString: created)).resolvingSymlinksInPath().path
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
