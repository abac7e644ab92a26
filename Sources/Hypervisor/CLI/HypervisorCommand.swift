import ArgumentParser
import Glibc
import Hypervisor

/// `hypervisor [options] <program> [args...]`: runs a static Linux x86-64
/// program in the unikernel as if it were run directly.
@main
struct HypervisorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypervisor",
        abstract: "Run a statically linked Linux x86-64 program in a KVM unikernel.",
        discussion: """
            Behaves like running <program> [args...] directly: stdin, stdout and stderr are \
            the host's, the guest inherits this environment (plus --env), and the exit status \
            is the program's. A CPU exception ends the run like the matching Linux signal \
            (139 SIGSEGV, 132 SIGILL, 136 SIGFPE) after a crash report on stderr. \
            Other statuses: 124 timeout, 125 hypervisor error, 126 program not runnable, \
            127 program not found, 130/143 stopped by SIGINT/SIGTERM.
            """
    )

    @Option(name: .long, help: "Guest memory, e.g. 64M or 1G (default 64M; also UNIKERNEL_MEMORY).")
    var memory: String?

    @Option(name: .long, help: "Host directory the guest sees as / and starts in (default: current directory).")
    var dir: String = "."

    @Flag(name: .long, help: "Make the guest's root directory read-only (writes fail with EROFS).")
    var readOnly = false

    @Flag(name: .long, help: "Disable address-space randomisation (fixed static-pie base, stack and mmap area, as `setarch -R`).")
    var noASLR = false

    @Flag(name: .long, help: "Never rewrite the application's hot `syscall` sites into jumps to the kernel (every syscall traps; for triage).")
    var noSyscallPatching = false

    @Option(name: .long, help: "Set KEY=VALUE in the guest's environment (repeatable).")
    var env: [String] = []

    @Flag(name: .long, help: "Start the guest with an empty environment (before --env).")
    var clearEnv = false

    @Option(name: .long, help: "Stop the guest after this many seconds (exit status 124).")
    var timeout: Double?

    @Flag(name: .long, help: "Print one line per syscall to stderr (or --trace-file).")
    var trace = false

    @Option(name: .long, help: "Write the syscall trace to this file instead of stderr.")
    var traceFile: String?

    @Option(name: .long, help: "The unikernel image (default: found next to this executable; also UNIKERNEL_KERNEL).")
    var kernel: String?

    @Option(name: .long, help: "Inject a known fault: misaligned-stack, no-sse, no-fs-base (repeatable).")
    var debugFault: [String] = []

    @Option(name: .long, help: "Refuse this syscall (name or number) with ENOSYS, as if unimplemented (repeatable).")
    var debugRefuseSyscall: [String] = []

    @Flag(name: .long, help: "Start the kernel at its ELF entry at CPL0 and let it set up the CPU itself (slow on this platform).")
    var debugKernelSetup = false

    @Argument(help: "The static Linux program to run.")
    var program: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the program.")
    var arguments: [String] = []

    func run() throws {
        let status = execute()
        Glibc.exit(status)
    }

    private func execute() -> Int32 {
        PhaseTimer.shared.mark("main")
        let environment = ProcessEnvironment.current()
        guard let kernelPath = kernel ?? environment.value("UNIKERNEL_KERNEL") ?? KernelLocator.defaultKernel() else {
            return fail("cannot find the unikernel image (unikernel.elf) next to the hypervisor; run `make`, or pass --kernel", status: 125)
        }
        let memoryText = memory ?? environment.value("UNIKERNEL_MEMORY")
        var memorySize = MachineConfiguration.defaultMemorySize
        if let memoryText {
            guard let size = MemorySize.parse(memoryText) else {
                return fail("invalid memory size '\(memoryText)' (expected e.g. 64M, 512M, 2G)", status: 125)
            }
            memorySize = size
        }
        var guestEnvironment = clearEnv ? [] : environment.entries
        for assignment in env {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                return fail("invalid --env '\(assignment)' (expected KEY=VALUE)", status: 125)
            }
            let key = assignment[..<equals]
            guestEnvironment.removeAll { $0.hasPrefix(key + "=") }
            guestEnvironment.append(assignment)
        }
        // A timeout becomes whole milliseconds for setitimer: NaN, infinity or more than
        // a year would trap in that conversion (or stop the guest at once), so refuse them here.
        if let timeout, !(timeout > 0 && timeout <= 365 * 24 * 3600) {
            return fail("invalid --timeout '\(timeout)' (expected seconds, more than 0 and at most one year)", status: 125)
        }
        var faults: FaultInjection = []
        for name in debugFault {
            switch name {
            case "misaligned-stack": faults.insert(.misalignedStack)
            case "no-sse": faults.insert(.sseDisabled)
            case "no-fs-base": faults.insert(.noFSBase)
            default: return fail("unknown --debug-fault '\(name)' (misaligned-stack, no-sse, no-fs-base)", status: 125)
            }
        }

        var refused: Set<Int> = []
        for name in debugRefuseSyscall {
            guard let number = Int(name) ?? LinuxSyscallNames.number(of: name), (0..<512).contains(number) else {
                return fail("unknown syscall '\(name)' for --debug-refuse-syscall", status: 125)
            }
            refused.insert(number)
        }

        var configuration = MachineConfiguration(
            kernelPath: kernelPath, programPath: program,
            arguments: [program] + arguments, environment: guestEnvironment)
        configuration.rootDirectory = dir
        configuration.readOnlyRoot = readOnly
        configuration.addressSpaceRandomization = !noASLR
        configuration.syscallPatching = !noSyscallPatching
        configuration.memorySize = memorySize
        configuration.timeout = timeout
        configuration.faults = faults
        configuration.refusedSyscalls = refused
        configuration.prepareKernelCPU = !debugKernelSetup
        configuration.traceSyscalls = trace || traceFile != nil
        if let traceFile {
            let fd = open(traceFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return fail("cannot open trace file \(traceFile): \(String(cString: strerror(errno)))", status: 125) }
            configuration.traceOutput = fd
        }

        let machine: Machine
        do {
            machine = try Machine(configuration)
        } catch {
            return fail(error.description, status: error.exitStatus)
        }
        let outcome = machine.run()
        PhaseTimer.shared.mark("run-end")
        if let timings = machine.timingsReport() { printError(timings) }
        if let message = outcome.message { printError(message) }
        return outcome.exitStatus
    }

    private func fail(_ message: String, status: Int32) -> Int32 {
        printError("hypervisor: \(message)")
        return status
    }

    private func printError(_ message: String) {
        let line = message + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
