import UnikernelABI

/// execve and execveat. The program is found in the guest's file system (resolved against
/// the working directory, `#!` scripts followed to their interpreter as Linux's binfmt_script
/// does), its arguments and environment copied out of the old image, and what the process
/// keeps (descriptors without close-on-exec, working directory, umask, signal mask, ignored
/// signals) described to the host, which replaces the runner process by a new runner for the
/// program: a fresh VM and address space, the same pid, the same host descriptors.
enum ExecSyscalls {
    /// Linux's MAX_ARG_STRLEN (one string) and the total it accepts here (its ARG_MAX-like
    /// limit with the default 8 MiB stack: a quarter of it).
    static let maximumStringLength = 131_072
    static let maximumTotal = 2 * 1024 * 1024
    /// Nested `#!` interpreters Linux follows (BINPRM_MAX_RECURSION).
    static let maximumInterpreterDepth = 4
    static let atEmptyPath = 0x1000, atSymlinkNofollow = 0x100

    static func execve(_ a: SyscallArguments) throws(Errno) -> Int {
        let path = try FileSyscalls.resolvePath(dirfd: FileSyscalls.atFdcwd, pathAddress: a[0])
        let given = try UserMemory.string(at: a[0])
        return try execute(path: path, given: given, argv: a[1], envp: a[2])
    }

    /// execveat(dirfd, path, argv, envp, flags): AT_EMPTY_PATH runs the file dirfd names
    /// (fexecve); AT_SYMLINK_NOFOLLOW refuses a symlink (ELOOP).
    static func execveat(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(4)
        guard flags & ~(atEmptyPath | atSymlinkNofollow) == 0 else { throw .EINVAL }
        let given = try UserMemory.string(at: a[1])
        let path: [UInt8]
        if given.isEmpty, flags & atEmptyPath != 0 {
            let file = try currentProcess.files.file(a.int32(0))
            guard !file.path.isEmpty else { throw .ENOENT }
            path = file.path
        } else {
            path = try FileSyscalls.resolvePath(dirfd: a.int32(0), pathAddress: a[1])
        }
        if flags & atSymlinkNofollow != 0 {
            let stat = try PathSyscalls.hostStat(path, followLinks: false)
            if stat.mode & 0o170000 == 0o120000 { throw .ELOOP }
        }
        // AT_EXECFN as Linux names it: "/dev/fd/N" for the descriptor itself, "/dev/fd/N/path" for
        // a relative path from one.
        var name = given
        let dirfd = a.int32(0)
        if given.isEmpty || (given.first != PathResolver.slash && dirfd != FileSyscalls.atFdcwd) {
            name = Array("/dev/fd/".utf8) + decimal(dirfd) + (given.isEmpty ? [] : [PathResolver.slash] + given)
        }
        return try execute(path: path, given: name, argv: a[2], envp: a[3])
    }

    /// The decimal digits of a non-negative number (a negative one prints as 0).
    private static func decimal(_ value: Int) -> [UInt8] {
        var remaining = max(value, 0)
        var digits: [UInt8] = []
        repeat {
            digits.insert(UInt8(ascii: "0") + UInt8(remaining % 10), at: 0)
            remaining /= 10
        } while remaining > 0
        return digits
    }

    /// Runs the program at guest path `path` (`given` as the caller spelled it).
    private static func execute(path: [UInt8], given: [UInt8], argv: UInt64, envp: UInt64) throws(Errno) -> Int {
        var total = 0
        var arguments = try strings(at: argv, total: &total)
        let environment = try strings(at: envp, total: &total)
        var program = path
        let execfn = given  // AT_EXECFN stays the name exec was given, a script's too
        var filename = given  // the file being loaded, as the next interpreter's argument names it
        // `#!` scripts: the interpreter runs with [interpreter, optional argument, script, argv[1...]].
        for depth in 0...maximumInterpreterDepth {
            let head = try checkExecutable(program)
            if head.starts(with: [0x7F, 0x45, 0x4C, 0x46]) { break }  // \x7fELF
            guard head.starts(with: [UInt8(ascii: "#"), UInt8(ascii: "!")]) else { throw .ENOEXEC }
            guard depth < maximumInterpreterDepth else { throw .ELOOP }
            guard let (interpreter, argument) = ScriptInterpreter.parse(head) else { throw .ENOEXEC }
            var replaced: [[UInt8]] = [interpreter]
            if let argument { replaced.append(argument) }
            replaced.append(filename)
            replaced.append(contentsOf: arguments.dropFirst())
            arguments = replaced
            filename = interpreter
            program = PathResolver.resolve(interpreter, relativeTo: currentProcess.workingDirectory)
        }
        total = 0
        for string in arguments + environment { total += string.count + 1 }
        guard total <= maximumTotal else { throw .E2BIG }

        // What two processes can share must be a host object before the runner is replaced.
        try ForkSyscalls.sharePipesWithHost()
        let (state, kept) = inheritedState()
        var request = uk_exec_request()
        request.argc = UInt32(arguments.count)
        request.envc = UInt32(environment.count)
        request.path_len = UInt32(program.count)
        request.execfn_len = UInt32(execfn.count)
        request.strings_len = UInt64(total)
        request.state_len = UInt64(MemoryLayout<uk_inherited_state>.size + kept.count * MemoryLayout<uk_inherited_fd>.size
                                   + currentProcess.workingDirectory.count)
        var bytes: [UInt8] = []
        append(request, to: &bytes)
        append(state, to: &bytes)
        for entry in kept { append(entry, to: &bytes) }
        bytes += currentProcess.workingDirectory
        bytes += program
        bytes += execfn
        for string in arguments + environment { bytes += string; bytes.append(0) }

        let pages = (bytes.count + Int(UK_PAGE_SIZE) - 1) / Int(UK_PAGE_SIZE)
        guard let frames = Frames.allocateContiguous(pages: pages) else { throw .ENOMEM }
        defer { for page in 0..<pages { Frames.release(frames + UInt64(page) * UK_PAGE_SIZE) } }
        bytes.withUnsafeBytes { DirectMap.pointer(frames).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        // Only a failure returns: on success this process is gone.
        let result = Hypercall.process(UK_PROC_EXEC, Int64(bitPattern: frames), Int64(bytes.count))
        return try Errno.check(result)
    }

    /// The NUL-terminated strings of a NULL-terminated pointer array (argv, envp); NULL: none.
    private static func strings(at address: UInt64, total: inout Int) throws(Errno) -> [[UInt8]] {
        var result: [[UInt8]] = []
        guard address != 0 else { return result }
        var cursor = address
        while true {
            let pointer = try UserMemory.load(UInt64.self, from: cursor)
            if pointer == 0 { return result }
            let string: [UInt8]
            do throws(Errno) {
                string = try UserMemory.string(at: pointer, limit: maximumStringLength)
            } catch {
                throw error == .ENAMETOOLONG ? .E2BIG : error
            }
            total += string.count + 1
            guard total <= maximumTotal else { throw .E2BIG }
            result.append(string)
            cursor += 8
        }
    }

    /// Checks that `path` is a regular file the process may execute and returns its first
    /// bytes (the ELF magic or a `#!` line).
    private static func checkExecutable(_ path: [UInt8]) throws(Errno) -> [UInt8] {
        let stat = try PathSyscalls.hostStat(path, followLinks: true)
        guard stat.mode & 0o170000 == 0o100000 else { throw .EACCES }  // directories, devices: EACCES
        _ = try Hypercall.path(UK_PATH_ACCESS, path: path, mode: 1)     // X_OK
        let handle = try FileSyscalls.hostOpen(path, flags: 0, mode: 0)
        defer { _ = Hypercall.close(handle: handle) }
        let length = 256
        let read = Hypercall.read(handle: handle, bufferPhysical: BounceBuffer.physical + UInt64(BounceBuffer.dataOffset),
                                  length: length)
        guard read >= 0 else { throw Errno(rawValue: Int(-read)) ?? .EIO }
        var head = [UInt8](repeating: 0, count: Int(read))
        for index in 0..<head.count { head[index] = BounceBuffer.data.load(fromByteOffset: index, as: UInt8.self) }
        return head
    }

    /// The state the new image keeps and its descriptors (close-on-exec ones are dropped;
    /// guest-served objects other than pipes, which are host pipes by now, cannot cross).
    private static func inheritedState() -> (uk_inherited_state, [uk_inherited_fd]) {
        var kept: [uk_inherited_fd] = []
        for fd in currentProcess.files.descriptors(from: 0, through: FileTable.limit) {
            guard let file = try? currentProcess.files.file(fd), !file.closeOnExec, file.object == nil else { continue }
            kept.append(uk_inherited_fd(fd: Int32(fd), handle: file.hostHandle, flags: Int32(truncatingIfNeeded: file.flags),
                                        kind: file.hostKind.rawValue))
        }
        var ignored: UInt64 = 0
        for signal in 1...64 where currentProcess.signals.actions[signal].handler == Signals.sigIgnore {
            ignored |= Signals.bit(signal)
        }
        let state = uk_inherited_state(fd_count: UInt32(kept.count), umask: UInt32(currentProcess.umask),
                                       cwd_len: UInt32(currentProcess.workingDirectory.count),
                                       parent_death_signal: UInt32(currentProcess.parentDeathSignal),
                                       blocked: Scheduler.current.signals.blocked, ignored: ignored)
        return (state, kept)
    }

    private static func append<T>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    // MARK: At start-up

    /// Applies what the previous image kept (boot info inherit_phys/size) to the new process.
    static func adoptInheritedState(_ info: uk_boot_info) {
        guard info.inherit_size >= UInt64(MemoryLayout<uk_inherited_state>.size) else { return }
        let base = DirectMap.pointer(info.inherit_phys)
        // SAFETY: the host wrote inherit_size bytes there; every read below is bounds-checked.
        let state = base.loadUnaligned(as: uk_inherited_state.self)
        let fdBytes = Int(state.fd_count) * MemoryLayout<uk_inherited_fd>.size
        let headerBytes = MemoryLayout<uk_inherited_state>.size
        guard UInt64(headerBytes + fdBytes + Int(state.cwd_len)) <= info.inherit_size else { return }
        var files = FileTable()
        for index in 0..<Int(state.fd_count) {
            let entry = base.loadUnaligned(fromByteOffset: headerBytes + index * MemoryLayout<uk_inherited_fd>.size,
                                           as: uk_inherited_fd.self)
            _ = try? files.install(OpenFile(hostHandle: entry.handle, path: [], flags: Int(entry.flags),
                                            hostKind: HostKind(rawValue: entry.kind) ?? .plain), at: Int(entry.fd))
        }
        currentProcess.files = files
        var cwd = [UInt8](repeating: 0, count: Int(state.cwd_len))
        for index in 0..<cwd.count { cwd[index] = base.load(fromByteOffset: headerBytes + fdBytes + index, as: UInt8.self) }
        if cwd.first == PathResolver.slash { currentProcess.workingDirectory = cwd }
        currentProcess.umask = UInt64(state.umask) & 0o777
        // The host already made it the runner's (InheritedState.adoptParentDeathSignal).
        if state.parent_death_signal <= 64 { currentProcess.parentDeathSignal = Int(state.parent_death_signal) }
        for signal in 1...64 where state.ignored & Signals.bit(signal) != 0 && signal != 9 && signal != 19 {
            currentProcess.signals.actions[signal].handler = Signals.sigIgnore
        }
        inheritedMask = state.blocked & ~Signals.unblockable
    }

    /// The signal mask the first task starts with (the exec'ing thread's).
    static var inheritedMask: UInt64 = 0
}
