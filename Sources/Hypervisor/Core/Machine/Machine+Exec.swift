import CLinux
import Glibc
import UnikernelABI

/// execve: the runner process is replaced by a new runner for the new program (Linux keeps
/// the process and replaces its image; here the image is a whole VM). The new runner gets
/// the same configuration, the program found beneath the root, argv and envp, and what the
/// process keeps (`--exec-state`): descriptors, working directory, umask, signal mask and
/// ignored signals. Its pid, parent, children and host descriptors are the old runner's.
extension Machine {
    /// The most bytes an exec request may have (the kernel's limit plus the state).
    static let maximumExecRequest: Int64 = 4 << 20

    /// UK_PROC_EXEC; returns only on failure (-errno).
    func exec(_ request: ProcessRequest) -> Int64 {
        let address = UInt64(bitPattern: request.arguments[0])
        let length = request.arguments[1]
        guard length > 0, length <= Machine.maximumExecRequest,
              let bytes = try? memory.read(at: address, length: UInt64(length)) else { return -Int64(EFAULT) }
        guard let parsed = ExecRequest(bytes) else { return -Int64(EINVAL) }
        return callLock.withLock { replaceProcess(with: parsed) }
    }

    private func replaceProcess(with request: ExecRequest) -> Int64 {
        // The program, beneath the root, checked as the new runner will load it.
        let fd = handler.files.resolve(request.path, flags: O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -Int64(Glibc.errno) }
        var keep = false
        defer { if !keep { Glibc.close(fd) } }
        // Mapped through a descriptor of its own: `fd` goes to the new runner.
        guard let program = Machine.contents(of: fcntl(fd, F_DUPFD_CLOEXEC, 0)) else { return -Int64(EIO) }
        let maxImage = GuestLayout.maximumImageSize(memorySize: configuration.memorySize, kernelEnd: layout.kernelEnd)
        do {
            let image = try ApplicationImage.plan(contents: program, path: "", loadBias: MachineConfiguration.pieBase,
                                                  maxImageSize: maxImage, allowInterpreter: true)
            // A dynamically linked program's interpreter must be there too (Linux: ENOENT).
            do { _ = try Machine.loadInterpreter(of: image, from: handler.files, maxImageSize: maxImage) } catch {
                return -Int64(ENOENT)
            }
        } catch {
            if case .imageTooLarge = error { return -Int64(ENOMEM) }
            return -Int64(ENOEXEC)
        }

        // The descriptors the new image keeps: their host descriptors survive the exec.
        var state = request.state
        for index in state.descriptors.indices {
            guard let hostFD = handler.files.descriptor(state.descriptors[index].handle) else { return -Int64(EBADF) }
            state.descriptors[index].handle = hostFD
        }
        for entry in state.descriptors {
            let flags = fcntl(entry.handle, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC != 0 { _ = fcntl(entry.handle, F_SETFD, flags & ~FD_CLOEXEC) }
        }
        let programFlags = fcntl(fd, F_GETFD)
        _ = fcntl(fd, F_SETFD, programFlags & ~FD_CLOEXEC)
        if configuration.traceSyscalls, configuration.traceOutput > 2 {
            _ = fcntl(configuration.traceOutput, F_SETFD, 0)
        }

        let owns = !isForkedChild && configuration.privateDirectories?.owned == true
        var argv = ["/proc/self/exe"] + configuration.commandLineOptions(rootDirectory: rootDirectoryPath, ownsPrivateDirectories: owns)
        if isForkedChild { argv.append("--child-process") }
        argv += GuestProcessTree.prepareForExec()
        argv += ["--argv0", String(decoding: request.arguments.first ?? [], as: UTF8.self),
                 "--exec-name", String(decoding: request.execfn, as: UTF8.self),
                 "--exe-path", hostPath(ofGuest: request.path),
                 "--exec-state", state.encoded.hexString,
                 "--", "/proc/self/fd/\(fd)"]
        argv += request.arguments.dropFirst().map { String(decoding: $0, as: UTF8.self) }
        let environment = request.environment.map { String(decoding: $0, as: UTF8.self) }
        fflush(nil)
        _ = handler.flushPendingWrite()
        keep = true
        // A vfork parent resumes at the exec (the gate is close-on-exec), with what the child
        // wrote until now.
        sendVforkWrites()
        sendVforkMarker(.exec)
        let error = Machine.execute("/proc/self/exe", argv, environment)
        keep = false
        sendVforkMarker(.execFailed)
        // Still here: the exec failed. Put the close-on-exec flags back as they were.
        for entry in request.state.descriptors { _ = handler.files.descriptor(entry.handle).map { fcntl($0, F_SETFD, FD_CLOEXEC) } }
        GuestProcessTree.restoreAfterFailedExec()
        return -Int64(error)
    }

    /// execve(path, argv, envp); returns errno when it fails.
    private static func execute(_ path: String, _ argv: [String], _ environment: [String]) -> Int32 {
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        Glibc.execve(path, &cArguments, &cEnvironment)
        return Glibc.errno
    }

    /// The whole file behind `fd`, from its start.
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, filled) }
            if count < 0, Glibc.errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return filled == bytes.count ? bytes : nil
    }

    /// The host path behind an absolute guest path (through the mount holding it).
    func hostPath(ofGuest path: [UInt8]) -> String {
        let (mount, rest) = handler.files.mounts.locate(path)
        let base = mount.guestPath == [GuestMounts.slash] ? rootDirectoryPath : Machine.canonicalPath(mount.hostPath() ?? "")
        return base + (rest == [GuestMounts.slash] ? "" : String(decoding: rest, as: UTF8.self))
    }

    /// The root directory as an absolute host path (the new runner may start elsewhere).
    var rootDirectoryPath: String {
        let path = Machine.canonicalPath(configuration.rootDirectory)
        return path == "/" ? "" : path
    }
}

/// A decoded UK_PROC_EXEC request (uk_exec_request and what follows it).
struct ExecRequest {
    var path: [UInt8]
    var execfn: [UInt8]
    var arguments: [[UInt8]]
    var environment: [[UInt8]]
    var state: InheritedState

    init?(_ bytes: [UInt8]) {
        let header = MemoryLayout<uk_exec_request>.size
        guard bytes.count >= header else { return nil }
        let request = bytes.withUnsafeBytes { $0.loadUnaligned(as: uk_exec_request.self) }
        let stateLength = Int(clamping: request.state_len)
        let pathStart = header + stateLength
        guard stateLength <= bytes.count - header,
              let state = InheritedState(Array(bytes[header..<pathStart])) else { return nil }
        let pathLength = Int(request.path_len), execfnLength = Int(request.execfn_len)
        let stringsStart = pathStart + pathLength + execfnLength
        guard pathLength > 0, pathLength < 4096, execfnLength < 4096, stringsStart <= bytes.count,
              UInt64(bytes.count - stringsStart) >= request.strings_len else { return nil }
        path = Array(bytes[pathStart..<(pathStart + pathLength)])
        execfn = Array(bytes[(pathStart + pathLength)..<stringsStart])
        guard !path.contains(0), !execfn.contains(0) else { return nil }
        let strings = bytes[stringsStart..<(stringsStart + Int(request.strings_len))].split(separator: 0, omittingEmptySubsequences: false)
        let count = Int(request.argc) + Int(request.envc)
        guard strings.count >= count else { return nil }
        let all = strings.prefix(count).map { Array($0) }
        arguments = Array(all.prefix(Int(request.argc)))
        environment = Array(all.dropFirst(Int(request.argc)))
        self.state = state
    }
}

/// uk_inherited_state with its descriptors and working directory.
public struct InheritedState: Equatable, Sendable {
    public var umask: UInt32
    /// prctl(PR_SET_PDEATHSIG)'s signal (0: none), which Linux keeps across execve.
    public var parentDeathSignal: UInt32 = 0
    public var blocked: UInt64
    public var ignored: UInt64
    public var descriptors: [Descriptor]
    public var workingDirectory: [UInt8]

    public struct Descriptor: Equatable, Sendable {
        public var fd: Int32
        public var handle: Int32
        public var flags: Int32
        /// What the host descriptor is (UK_HOST_KIND_*): the kernel treats an inotify
        /// instance apart from files and pipes.
        public var kind: Int32 = UK_HOST_KIND_PLAIN
    }

    /// Decodes the state; nil when it is malformed.
    public init?(_ bytes: [UInt8]) {
        let header = MemoryLayout<uk_inherited_state>.size, entry = MemoryLayout<uk_inherited_fd>.size
        guard bytes.count >= header else { return nil }
        let state = bytes.withUnsafeBytes { $0.loadUnaligned(as: uk_inherited_state.self) }
        guard state.fd_count <= 1024, state.cwd_len < 4096, state.parent_death_signal <= 64,
              bytes.count == header + Int(state.fd_count) * entry + Int(state.cwd_len) else { return nil }
        umask = state.umask
        parentDeathSignal = state.parent_death_signal
        blocked = state.blocked
        ignored = state.ignored
        descriptors = (0..<Int(state.fd_count)).map { index in
            let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: header + index * entry, as: uk_inherited_fd.self) }
            return Descriptor(fd: raw.fd, handle: raw.handle, flags: raw.flags, kind: raw.kind)
        }
        guard descriptors.allSatisfy({ $0.fd >= 0 && $0.fd < 1024 && $0.handle >= 0 }) else { return nil }
        workingDirectory = Array(bytes[(header + Int(state.fd_count) * entry)...])
        guard workingDirectory.first == UInt8(ascii: "/"), !workingDirectory.contains(0) else { return nil }
    }

    /// The uk_inherited_state layout.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        let header = uk_inherited_state(fd_count: UInt32(descriptors.count), umask: umask, cwd_len: UInt32(workingDirectory.count),
                                        parent_death_signal: parentDeathSignal, blocked: blocked, ignored: ignored)
        withUnsafeBytes(of: header) { bytes.append(contentsOf: $0) }
        for descriptor in descriptors {
            withUnsafeBytes(of: uk_inherited_fd(fd: descriptor.fd, handle: descriptor.handle, flags: descriptor.flags, kind: descriptor.kind)) {
                bytes.append(contentsOf: $0)
            }
        }
        return bytes + workingDirectory
    }

    /// What a program started directly in place of this runner would inherit from it: its open
    /// standard descriptors (0, 1, 2 with their access mode, O_APPEND and O_NONBLOCK), its umask,
    /// signal mask and ignored signals (Linux keeps SIG_IGN across execve, e.g. `nohup`'s
    /// SIGHUP), its parent-death signal (prctl PR_SET_PDEATHSIG, kept across execve), and "/" as
    /// the working directory. Read before the runner sets any handler.
    public static func ofThisProcess() -> InheritedState {
        let mask = Glibc.umask(0o022)
        Glibc.umask(mask)
        var blockedSet = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &blockedSet)
        var blocked: UInt64 = 0, ignored: UInt64 = 0
        for signal in 1...64 {
            if sigismember(&blockedSet, Int32(signal)) == 1 { blocked |= 1 << UInt64(signal - 1) }
            var action = sigaction()
            if sigaction(Int32(signal), nil, &action) == 0,
               unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == 1 {  // SIG_IGN
                ignored |= 1 << UInt64(signal - 1)
            }
        }
        var descriptors: [Descriptor] = []
        for fd: Int32 in 0...2 {
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0 else { continue }
            descriptors.append(Descriptor(fd: fd, handle: fd, flags: flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)))
        }
        var state = InheritedState(umask: UInt32(mask), blocked: blocked, ignored: ignored, descriptors: descriptors,
                                   workingDirectory: [UInt8(ascii: "/")])
        state.parentDeathSignal = UInt32(clamping: ckvm_parent_death_signal())
        return state
    }

    /// Makes `parentDeathSignal` the runner's, for its guest (the host's PR_SET_PDEATHSIG:
    /// `ckvm_set_parent_death_signal`); nothing when there is none.
    public func adoptParentDeathSignal() {
        guard parentDeathSignal != 0 else { return }
        _ = ckvm_set_parent_death_signal(Int32(parentDeathSignal))
    }

    public init(umask: UInt32, blocked: UInt64, ignored: UInt64, descriptors: [Descriptor], workingDirectory: [UInt8]) {
        self.umask = umask
        self.blocked = blocked
        self.ignored = ignored
        self.descriptors = descriptors
        self.workingDirectory = workingDirectory
    }

    /// Decodes the hex form `--exec-state` carries.
    public init?(hex: String) {
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in hex.utf8 {
            guard let nibble = InheritedState.nibble(character) else { return nil }
            if let first = high { bytes.append(first << 4 | nibble); high = nil } else { high = nibble }
        }
        guard high == nil else { return nil }
        self.init(bytes)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex digits, two per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 15)]) }
        return String(decoding: text, as: UTF8.self)
    }
}

extension MachineConfiguration {
    /// The runner options that reproduce this configuration (for the runner an exec starts).
    /// `ownsPrivateDirectories`: the next runner removes them at its end (it continues the
    /// runner that made them). Private directories not made yet are not handed on: only this
    /// process could have used them (a fork makes them first), so the next runner makes its own
    /// when it needs them, as the first runner would.
    func commandLineOptions(rootDirectory: String, ownsPrivateDirectories: Bool = false) -> [String] {
        var options = ["--kernel", kernelPath, "--dir", rootDirectory.isEmpty ? "/" : rootDirectory,
                       "--memory", "\(memorySize / 1024)K", "--cpus", "\(cpuCount)"]
        for volume in volumes { options += ["--volume", volume.optionText] }
        if let path = privateDirectories?.path {
            options += ["--private-dirs", path]
            if ownsPrivateDirectories { options.append("--private-dirs-owned") }
        }
        if let timeout { options += ["--timeout", "\(timeout)"] }
        if readOnlyRoot { options.append("--read-only") }
        options += network.commandLineOptions
        if !addressSpaceRandomization { options.append("--no-aslr") }
        if !syscallPatching { options.append("--no-syscall-patching") }
        if !hugePages { options.append("--no-huge-pages") }
        if traceSyscalls { options += ["--trace-fd", "\(traceOutput)"] }
        if SystemVIPC.isolated { options.append("--ipc-namespace") }
        return options
    }
}
