import Glibc
import Hypervisor
import UnikernelABI

/// `hypervisor [options] <program> [args...]`: runs a static Linux x86-64
/// program in the unikernel as if it were run directly. The command line is
/// parsed by `RunnerCommandLine` (options, help text).
@main
struct HypervisorCommand {
    let options: RunnerCommandLine

    static func main() {
        let request: RunnerCommandLine.Request
        do {
            request = try RunnerCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            printError("hypervisor: \(error) (see hypervisor --help)")
            exit(125)
        }
        switch request {
        case .help:
            let text = RunnerCommandLine.helpText
            _ = text.withCString { write(1, $0, strlen($0)) }
            exit(0)
        case .version:
            let platform = Platform.detect()
            let privilege = platform.kernelPrivileged
                ? "kernel at CPL0 with supervisor-only pages, application at CPL3"
                : "kernel and application at CPL3, kernel pages user-accessible"
            let text = "hypervisor \(RunnerCommandLine.version)\nplatform: \(platform)\nprivilege: \(privilege)\n"
            _ = text.withCString { write(1, $0, strlen($0)) }
            exit(0)
        case let .run(options):
            exit(HypervisorCommand(options: options).execute())
        }
    }

    private func execute() -> Int32 {
        PhaseTimer.shared.mark("main")
        // The guest's System V IPC objects live in a namespace of its own, made by its first
        // runner when first needed; later runners (an execve's) are in it already, or make it
        // when needed (an execve before any need).
        if options.ipcNamespace && options.execState != nil {
            SystemVIPC.inheritNamespace()
        } else if !options.childProcess {
            SystemVIPC.isolateWhenNeeded()
        }
        // The guest's processes are the runners holding its marker (a runner an execve started
        // inherits it; the first runner makes it at its first fork).
        if let fd = options.processTreeFD, options.execState != nil { GuestProcessTree.inherit(descriptor: fd) }
        let environment = ProcessEnvironment.current()
        guard let kernelPath = options.kernel ?? environment.value("UNIKERNEL_KERNEL") ?? KernelLocator.defaultKernel() else {
            return fail("cannot find the unikernel image (unikernel.elf) next to the hypervisor; run `make`, or pass --kernel", status: 125)
        }
        let memoryText = options.memory ?? environment.value("UNIKERNEL_MEMORY")
        var memorySize: UInt64
        if let memoryText {
            guard let size = MemorySize.parse(memoryText) else {
                return fail("invalid memory size '\(memoryText)' (expected e.g. 64M, 512M, 2G)", status: 125)
            }
            memorySize = size
        } else {
            memorySize = HostMemoryLimit.forGuest()
        }
        var cpus = MachineConfiguration.defaultCPUCount
        if let text = options.cpus ?? environment.value("UNIKERNEL_CPUS") {
            guard let count = Int(text), (1...Int(UK_MAX_CPUS)).contains(count) else {
                return fail("invalid --cpus '\(text)' (expected 1 to \(UK_MAX_CPUS))", status: 125)
            }
            cpus = count
        }
        var guestEnvironment = options.clearEnv ? [] : environment.entries
        for assignment in options.env {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                return fail("invalid --env '\(assignment)' (expected KEY=VALUE)", status: 125)
            }
            let key = assignment[..<equals]
            guestEnvironment.removeAll { $0.hasPrefix(key + "=") }
            guestEnvironment.append(assignment)
        }
        // A timeout becomes whole milliseconds for setitimer: NaN, infinity or more than
        // a year would trap in that conversion (or stop the guest at once), so refuse them here.
        if let timeout = options.timeout, !(timeout > 0 && timeout <= 365 * 24 * 3600) {
            return fail("invalid --timeout '\(timeout)' (expected seconds, more than 0 and at most one year)", status: 125)
        }
        var faults: FaultInjection = []
        for name in options.debugFault {
            switch name {
            case "misaligned-stack": faults.insert(.misalignedStack)
            case "no-sse": faults.insert(.sseDisabled)
            case "no-fs-base": faults.insert(.noFSBase)
            case "kernel-trap": faults.insert(.kernelTrap)
            default: return fail("unknown --debug-fault '\(name)' (misaligned-stack, no-sse, no-fs-base, kernel-trap)", status: 125)
            }
        }

        var refused: Set<Int> = []
        for name in options.debugRefuseSyscall {
            guard let number = Int(name) ?? LinuxSyscallNames.number(of: name), (0..<512).contains(number) else {
                return fail("unknown syscall '\(name)' for --debug-refuse-syscall", status: 125)
            }
            refused.insert(number)
        }

        var configuration = MachineConfiguration(
            kernelPath: kernelPath, programPath: options.program,
            arguments: [options.argv0 ?? options.program] + options.arguments, environment: guestEnvironment)
        configuration.isChildProcess = options.childProcess
        configuration.executableName = options.execName
        configuration.executablePath = options.exePath
        if let text = options.execState {
            guard let state = InheritedState(hex: text) else { return fail("invalid --exec-state", status: 125) }
            configuration.inherited = state
        } else if !options.childProcess {
            // The first program starts as a program the runner's caller ran directly would.
            configuration.inherited = InheritedState.ofThisProcess()
        }
        // The parent-death signal the exec kept (or the runner's caller set): the guest's from
        // now on, delivered to it rather than acted on by the runner (an early death of the
        // parent finds the handler in place).
        Machine.followParent()
        configuration.inherited?.adoptParentDeathSignal()
        if let fd = options.traceFD {
            guard fcntl(fd, F_GETFD) >= 0 else { return fail("--trace-fd \(fd) is not an open descriptor", status: 125) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            configuration.traceOutput = fd
        }
        configuration.rootDirectory = options.dir
        configuration.readOnlyRoot = options.readOnly
        configuration.network = options.network
        if configuration.network.abstractNamespace.isEmpty { configuration.network.abstractNamespace = NetworkPolicy.freshNamespace() }
        var volumes = options.system ? VolumeSpec.system : []
        for text in options.volumes {
            switch VolumeSpec.parse(text) {
            case var .success(volume):
                guard let real = realpath(volume.hostPath, nil) else {
                    return fail("cannot use \(volume.hostPath) as a volume: \(String(cString: strerror(errno)))", status: 125)
                }
                volume.hostPath = String(cString: real)
                free(real)
                volumes.append(volume)
            case let .failure(error):
                return fail(error.description, status: 125)
            }
        }
        configuration.volumes = volumes
        // The guest's private /tmp, /dev and /etc: another runner's, or one made when first used.
        if let path = options.privateDirs {
            configuration.privateDirectories = PrivateDirectories(path: path, owned: options.privateDirsOwned)
        } else {
            configuration.privateDirectories = PrivateDirectories()
        }
        // The first runner's private /tmp and /dev (if made) go with it, whatever way it ends here.
        defer { if let own = configuration.privateDirectories, own.owned, !configuration.isChildProcess { own.remove() } }
        configuration.addressSpaceRandomization = !options.noASLR
        configuration.syscallPatching = !options.noSyscallPatching
        configuration.hugePages = !options.noHugePages
        configuration.memorySize = memorySize
        configuration.cpuCount = cpus
        configuration.timeout = options.timeout
        configuration.faults = faults
        configuration.refusedSyscalls = refused
        configuration.traceSyscalls = options.trace || options.traceFile != nil || options.traceFD != nil
        if let traceFile = options.traceFile {
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
        // The program an execve handed over as an open descriptor is read: close it.
        if options.execState != nil, options.program.hasPrefix("/proc/self/fd/"), let fd = Int32(options.program.dropFirst(14)), fd > 2 {
            close(fd)
        }
        let outcome = machine.run()
        PhaseTimer.shared.mark("run-end")
        if configuration.isChildProcess { Machine.endProcess(like: outcome, quiet: true) }
        if let timings = machine.timingsReport() { Self.printError(timings) }
        if let message = outcome.message { Self.printError(message) }
        return outcome.exitStatus
    }

    private func fail(_ message: String, status: Int32) -> Int32 {
        Self.printError("hypervisor: \(message)")
        return status
    }

    private static func printError(_ message: String) {
        let line = message + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
