/// The runner's command line, `hypervisor [options] <program> [args...]`, parsed by hand.
///
/// The runner's start-up is on the critical path of every guest run (`make bench` measures
/// it against a bare KVM launcher). A reflection-based parser costs about 2 ms per start
/// here and links Foundation into the runner; this one is a table of options and a loop.
/// Options come before the program; the first argument that is not an option (or whatever
/// follows `--`) is the program, and everything after it is the program's, untouched.
/// `--name value` and `--name=value` are both accepted; repeatable options accumulate.
public struct RunnerCommandLine: Equatable, Sendable {
    public var memory: String?
    public var cpus: String?
    public var dir = "."
    public var readOnly = false
    /// `--volume HOST:GUEST[:ro]` as given, in order.
    public var volumes: [String] = []
    public var system = false
    /// `--net`, `--net-allow`, `--net-listen`: what the guest's sockets may do.
    public var network = NetworkPolicy.host
    /// Set for a runner that replaces or continues another: the guest's private /tmp and /dev
    /// directory, and whether this runner removes it at its end.
    public var privateDirs: String?
    public var privateDirsOwned = false
    /// Set for a runner that replaces another: it runs in the guest's private IPC namespace.
    public var ipcNamespace = false
    public var noASLR = false
    public var noSyscallPatching = false
    public var noHugePages = false
    public var env: [String] = []
    public var clearEnv = false
    public var timeout: Double?
    public var trace = false
    public var traceFile: String?
    public var kernel: String?
    public var debugFault: [String] = []
    public var debugRefuseSyscall: [String] = []
    /// Set by the guest's execve for the runner that replaces the old one: argv[0] as the
    /// caller gave it, AT_EXECFN, the program's path for /proc/self/exe, the kept state (hex
    /// of uk_inherited_state) and the trace descriptor the old runner had.
    public var argv0: String?
    public var execName: String?
    public var exePath: String?
    public var execState: String?
    public var traceFD: Int32?
    public var childProcess = false
    /// Set by the guest's execve: the descriptor that marks the guest's runners (GuestProcessTree).
    public var processTreeFD: Int32?
    /// The program to run and its arguments (argv[1...]).
    public var program = ""
    public var arguments: [String] = []

    public init() {}

    /// What the command line asks for.
    public enum Request: Equatable, Sendable {
        case run(RunnerCommandLine)
        case help
        /// `--version`: the runner's version and the platform it runs on.
        case version
    }

    /// A command line the runner cannot use, with a one-line reason.
    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// One `--name` option: its value's placeholder (nil for a flag), its help and its effect.
    struct Option: Sendable {
        var name: String
        var value: String?
        var help: String
        var apply: @Sendable (inout RunnerCommandLine, String) throws(UsageError) -> Void
    }

    static let options: [Option] = [
        Option(name: "memory", value: "size", help: "The most memory the guest may use, e.g. 512M or 4G; given on demand (default: what the host lets a process use: its RAM, lowered by the runner's rlimits and cgroup; also UNIKERNEL_MEMORY). The kernel keeps about 3 MiB of it (its image and tables with the program's image: more for a large program).") { $0.memory = $1 },
        Option(name: "cpus", value: "count", help: "vCPUs the guest may run threads on (default: the CPUs this process may use, as nproc counts them; also UNIKERNEL_CPUS).") { $0.cpus = $1 },
        Option(name: "dir", value: "dir", help: "Host directory the guest sees as / and starts in (default: current directory).") { $0.dir = $1 },
        Option(name: "read-only", value: nil, help: "Make the guest's root directory read-only (writes fail with EROFS).") { c, _ in c.readOnly = true },
        Option(name: "volume", value: "HOST:GUEST[:ro]", help: "Mount host directory HOST at guest path GUEST (read-only with :ro; repeatable).") { $0.volumes.append($1) },
        Option(name: "system", value: nil, help: "Mount the host's /usr, /lib, /lib64, /bin, /sbin and /etc read-only at their own paths (run host programs as they are).") { c, _ in c.system = true },
        Option(name: "net", value: "host|none", help: "Networking: host (default; the guest's sockets are the host's, as when run directly) or none (AF_INET/AF_INET6 sockets fail with EACCES; AF_UNIX still works).") { c, text throws(UsageError) in
            guard let mode = NetworkPolicy.Mode(rawValue: text) else { throw UsageError(description: "invalid --net '\(text)' (expected host or none)") }
            c.network.mode = mode
        },
        Option(name: "net-allow", value: "ADDR[:PORT]", help: "Let internet sockets connect and send only to these addresses (numeric, [IPv6]:PORT, or a host name's addresses; repeatable). Others fail with EACCES.") { c, text throws(UsageError) in
            if let problem = c.network.allow(text) { throw UsageError(description: "invalid --net-allow: \(problem)") }
        },
        Option(name: "net-listen", value: "PORT", help: "Let internet sockets bind and listen only on these ports (repeatable; binding port 0 for a client stays allowed). Others fail with EACCES.") { c, text throws(UsageError) in
            if let problem = c.network.allowListening(text) { throw UsageError(description: "invalid --net-listen: \(problem)") }
        },
        Option(name: "net-namespace", value: "name", help: "(set for a guest process's next runner) the host prefix of the guest's abstract AF_UNIX names.") { $0.network.abstractNamespace = $1 },
        Option(name: "private-dirs", value: "dir", help: "(set for a guest process's next runner) the host directory behind the guest's /tmp and /dev.") { $0.privateDirs = $1 },
        Option(name: "private-dirs-owned", value: nil, help: "(set for a guest process's next runner) remove --private-dirs at the end.") { c, _ in c.privateDirsOwned = true },
        Option(name: "ipc-namespace", value: nil, help: "(set for a guest process's next runner) the runner is already in the guest's private IPC namespace.") { c, _ in c.ipcNamespace = true },
        Option(name: "no-aslr", value: nil, help: "Disable address-space randomisation (fixed static-pie base, stack and mmap area, as `setarch -R`).") { c, _ in c.noASLR = true },
        Option(name: "no-huge-pages", value: nil, help: "Back the program's anonymous memory (heap, stack, mmap) with 4 KiB pages only, never 2 MiB ones (for comparison).") { c, _ in c.noHugePages = true },
        Option(name: "no-syscall-patching", value: nil, help: "Never rewrite the application's hot `syscall` sites into jumps to the kernel (every syscall traps; for triage).") { c, _ in c.noSyscallPatching = true },
        Option(name: "env", value: "KEY=VALUE", help: "Set KEY=VALUE in the guest's environment (repeatable).") { $0.env.append($1) },
        Option(name: "clear-env", value: nil, help: "Start the guest with an empty environment (before --env).") { c, _ in c.clearEnv = true },
        Option(name: "timeout", value: "seconds", help: "Stop the guest after this many seconds (exit status 124).") { c, text throws(UsageError) in
            guard let seconds = Double(text) else { throw UsageError(description: "invalid --timeout '\(text)' (expected seconds)") }
            c.timeout = seconds
        },
        Option(name: "trace", value: nil, help: "Print one line per syscall to stderr (or --trace-file).") { c, _ in c.trace = true },
        Option(name: "trace-file", value: "file", help: "Write the syscall trace to this file instead of stderr.") { $0.traceFile = $1 },
        Option(name: "kernel", value: "image", help: "The unikernel image (default: found next to this executable; also UNIKERNEL_KERNEL).") { $0.kernel = $1 },
        Option(name: "debug-fault", value: "name", help: "Inject a known fault: misaligned-stack, no-sse, no-fs-base, kernel-trap (repeatable).") { $0.debugFault.append($1) },
        Option(name: "argv0", value: "name", help: "argv[0] for the program (default: <program>).") { $0.argv0 = $1 },
        Option(name: "exec-name", value: "name", help: "(set by the guest's execve) AT_EXECFN: the name exec was given.") { $0.execName = $1 },
        Option(name: "exe-path", value: "path", help: "(set by the guest's execve) what /proc/self/exe names.") { $0.exePath = $1 },
        Option(name: "exec-state", value: "hex", help: "(set by the guest's execve) descriptors, working directory, umask and signal state kept across it.") { $0.execState = $1 },
        Option(name: "trace-fd", value: "fd", help: "Write the syscall trace to this open descriptor (as --trace-file).") { c, text throws(UsageError) in
            guard let fd = Int32(text), fd >= 0 else { throw UsageError(description: "invalid --trace-fd '\(text)'") }
            c.traceFD = fd
        },
        Option(name: "process-tree", value: "fd", help: "(set by the guest's execve) the open descriptor that marks the guest's processes.") { c, text throws(UsageError) in
            guard let fd = Int32(text), fd >= 0 else { throw UsageError(description: "invalid --process-tree '\(text)'") }
            c.processTreeFD = fd
        },
        Option(name: "child-process", value: nil, help: "(set by the guest's execve) the program is a guest process's child: a crash is reported to its parent through wait only, and a signal's default action kills the runner with that signal.") { c, _ in c.childProcess = true },
        Option(name: "debug-refuse-syscall", value: "name", help: "Refuse this syscall (name or number) with ENOSYS, as if unimplemented (repeatable).") { $0.debugRefuseSyscall.append($1) },
    ]

    /// Parses `arguments` (without argv[0]).
    public static func parse(_ arguments: [String]) throws(UsageError) -> Request {
        var line = RunnerCommandLine()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                index += 1
                break
            }
            if argument == "-h" || argument == "--help" { return .help }
            if argument == "--version" { return .version }
            guard argument.hasPrefix("-"), argument != "-" else { break }
            guard argument.hasPrefix("--") else { throw UsageError(description: "unknown option '\(argument)'") }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
            guard let option = options.first(where: { $0.name == name }) else {
                throw UsageError(description: "unknown option '--\(name)'")
            }
            if option.value == nil {
                guard inline == nil else { throw UsageError(description: "--\(name) takes no value") }
                try option.apply(&line, "")
            } else if let inline {
                try option.apply(&line, inline)
            } else {
                guard index + 1 < arguments.count else { throw UsageError(description: "--\(name) needs a value") }
                index += 1
                try option.apply(&line, arguments[index])
            }
            index += 1
        }
        guard index < arguments.count else { throw UsageError(description: "missing <program>") }
        line.program = arguments[index]
        line.arguments = Array(arguments[(index + 1)...])
        return .run(line)
    }

    /// `hypervisor --help`.
    public static var helpText: String {
        var text = """
            OVERVIEW: Run a statically linked Linux x86-64 program in a KVM unikernel.

            Behaves like running <program> [args...] directly: stdin, stdout and stderr are the
            host's, the guest inherits this environment (plus --env), and the exit status is the
            program's. A CPU exception ends the run like the matching Linux signal (139 SIGSEGV,
            132 SIGILL, 136 SIGFPE) after a crash report on stderr. Other statuses: 124 timeout,
            125 hypervisor error or bad command line, 126 program not runnable, 127 program not
            found. Signals sent to the hypervisor (SIGINT, SIGTERM, SIGHUP...) are the program's:
            its handler runs, or it ends as their default action says; SIGINT or SIGTERM a second
            time while the guest's kernel has not taken the first stops the run (130/143).

            USAGE: hypervisor [options] <program> [args...]

            OPTIONS:

            """
        for option in options {
            let spelled = "--\(option.name)" + (option.value.map { " <\($0)>" } ?? "")
            text += "  " + spelled.padding(width: 30) + option.help + "\n"
        }
        text += "  " + "--version".padding(width: 30) + "Show the version and the KVM platform (kvm-pvm, AMD SVM, Intel VMX).\n"
        text += "  " + "-h, --help".padding(width: 30) + "Show this help.\n"
        return text
    }

    /// The runner's version, printed by `--version`.
    public static let version = "0.5.0"
}

private extension String {
    /// The string followed by spaces up to `width` characters, or by one space when longer.
    func padding(width: Int) -> String {
        count < width ? self + String(repeating: " ", count: width - count) : self + " "
    }
}
