import CLinux
import Glibc
import UnikernelABI

/// System V IPC for the guest (UK_PROC_SYSV): the host kernel's own shared memory, semaphores
/// and message queues, in an IPC namespace that belongs to the guest alone.
///
/// Why the host's objects in a private namespace, rather than objects the hypervisor emulates:
/// SysV ids are global integers in the host's IPC namespace, so forwarding the calls as they
/// are would let a guest see, attach and remove the host's objects (a sandbox escape). The
/// first runner therefore calls `unshare(CLONE_NEWIPC)` before the guest's first System V call:
/// every later runner of the guest (a fork's, an execve's) inherits that namespace, so all
/// processes of one guest share their objects and see nobody else's, and the guest gets Linux's
/// semantics exactly (keys, permissions, IPC_RMID and EIDRM, shm_nattch across fork, exec and
/// exit, SEM_UNDO at exit, the STAT/INFO structures) with no second implementation to keep
/// right. An emulation in state shared by the runners would need process-shared locking,
/// waiting and undo bookkeeping that a crashed runner could leave broken.
///
/// The namespace is made when first needed, not at start-up (most programs never make a System
/// V call, and making one costs about 50 µs and a share of the teardown): at the guest's first
/// System V call, and before the runner forks (the child must be in the parent's namespace) or
/// starts a second vCPU thread. unshare changes the calling thread's namespace only, so it must
/// run while the runner has one thread: the vCPU threads (the only threads it starts) and forked
/// children are all made after it. A runner an execve starts from one that made no namespace
/// defers it the same way.
///
/// Making an IPC namespace needs CAP_SYS_ADMIN. Without it the runner does not fall back to a
/// user namespace (whose one-uid map would show every file of another owner as nobody's): the
/// calls answer ENOSYS and nothing reaches the host's namespace. A runner started for an
/// execve is already in the guest's namespace (`--ipc-namespace`).
///
/// The host waits only in a semaphore operation the kernel asks to wait, for at most 100 ms
/// (the kernel waits in slices, as for shared futexes, so GETNCNT/GETZCNT count its waiters);
/// every other semaphore operation, msgsnd and msgrcv are made with IPC_NOWAIT (the kernel
/// retries). Pointers are never the guest's: every structure is the call's
/// bounce buffer, whose length is checked against what the command reads or writes.
public enum SystemVIPC {
    /// Whether this runner is in the guest's private IPC namespace (else every call is ENOSYS).
    nonisolated(unsafe) public internal(set) static var isolated = false
    /// Whether the namespace is still to be made when first needed (`isolateWhenNeeded`).
    /// Written only while the runner has one thread (see above).
    nonisolated(unsafe) static var pending = false

    /// Enters a new IPC namespace now; whether it worked.
    @discardableResult
    public static func isolate() -> Bool {
        pending = false
        isolated = clinux_private_ipc_namespace() == 0
        return isolated
    }

    /// Enters a new IPC namespace when it is first needed (`isolateIfPending`), not now.
    public static func isolateWhenNeeded() { pending = !isolated }

    /// Makes the namespace deferred by `isolateWhenNeeded`, if it is still to be made: before
    /// the first System V call, a fork, or the start of a second vCPU thread.
    static func isolateIfPending() {
        if pending { isolate() }
    }

    /// Records that the runner inherited the guest's namespace (a runner an execve started).
    public static func inheritNamespace() { isolated = true }

    static let ipcNoWait: Int64 = 0o4000
    /// The longest a semaphore operation waits in the host per call (the kernel waits in
    /// 20 ms slices): a guest cannot park a vCPU thread where a stop would wait for it.
    static let longestWait: Int64 = 100_000_000
    static let shmReadOnly: Int64 = 0o10000
    static let shmExec: Int64 = 0o100000

    enum Call: UInt32 {
        case shmget = 29, shmat = 30, shmctl = 31, semget = 64, semtimedop = 220, semctl = 66
        case msgget = 68, msgsnd = 69, msgrcv = 70, msgctl = 71
    }

    /// What a control command (shmctl, msgctl, semctl) does with its argument: nothing, a
    /// value, or a structure of so many bytes. nil: the command is unknown (EINVAL).
    enum Argument: Equatable {
        case none, value, structure(Int)
    }

    static func controlArgument(_ call: Call, command: Int64) -> Argument? {
        switch (call, command) {
        case (.shmctl, 0), (.msgctl, 0), (.semctl, 0): return Argument.none           // IPC_RMID
        case (.shmctl, 11), (.shmctl, 12): return Argument.none                       // SHM_LOCK, SHM_UNLOCK
        case (.shmctl, 1), (.shmctl, 2), (.shmctl, 13), (.shmctl, 15): return .structure(112) // shmid_ds
        case (.shmctl, 3): return .structure(72)                                      // shminfo
        case (.shmctl, 14): return .structure(48)                                     // shm_info
        case (.msgctl, 1), (.msgctl, 2), (.msgctl, 11), (.msgctl, 13): return .structure(120) // msqid_ds
        case (.msgctl, 3), (.msgctl, 12): return .structure(32)                       // msginfo
        case (.semctl, 1), (.semctl, 2), (.semctl, 18), (.semctl, 20): return .structure(104) // semid_ds
        case (.semctl, 3), (.semctl, 19): return .structure(40)                       // seminfo
        case (.semctl, 11), (.semctl, 12), (.semctl, 14), (.semctl, 15), (.semctl, 16): return .value
        default: return nil
        }
    }

    /// The semaphore count of set `id` (its semid_ds's sem_nsems), or -errno.
    private static func semaphoreCount(_ id: Int64) -> Int64 {
        var info = [UInt64](repeating: 0, count: 13)
        let result = info.withUnsafeMutableBytes { clinux_sysv(66, Int(id), 0, 2, Int(bitPattern: $0.baseAddress), 0) }
        return result < 0 ? Int64(result) : Int64(info[10])
    }

    /// Performs one UK_PROC_SYSV request: the call in `request.flags`, its arguments, the
    /// bounce buffer `buffer` (nil when the kernel sent none). shmat hands the host attachment
    /// and its size to `addWindow` (SharedWindows.adopt), which answers the window's
    /// guest-physical address or -errno.
    static func perform(_ request: ProcessRequest, buffer: UnsafeMutableRawBufferPointer?,
                        addWindow: (UnsafeMutableRawPointer, UInt64) -> Int64) -> Int64 {
        isolateIfPending()
        guard isolated else { return -Int64(ENOSYS) }
        guard let call = Call(rawValue: request.flags) else { return -Int64(ENOSYS) }
        let (a0, a1, a2) = (request.arguments[0], request.arguments[1], request.arguments[2])
        let id = Int(Int32(truncatingIfNeeded: a0))
        let length = buffer?.count ?? 0
        let base = buffer.flatMap { Int(bitPattern: $0.baseAddress) } ?? 0
        func sysv(_ a1: Int, _ a2: Int = 0, _ a3: Int = 0, _ a4: Int = 0) -> Int64 {
            Int64(clinux_sysv(Int(call.rawValue), id, a1, a2, a3, a4))
        }
        switch call {
        case .shmget:
            return Int64(clinux_sysv(29, id, Int(a1), Int(Int32(truncatingIfNeeded: a2)), 0, 0))
        case .semget, .msgget:
            return Int64(clinux_sysv(Int(call.rawValue), id, Int(Int32(truncatingIfNeeded: a1)), Int(Int32(truncatingIfNeeded: a2)), 0, 0))
        case .shmctl, .msgctl:
            guard let argument = controlArgument(call, command: a1) else { return -Int64(EINVAL) }
            if case let .structure(size) = argument {
                guard length >= size else { return -Int64(EFAULT) }
                return sysv(Int(a1), base)
            }
            return sysv(Int(a1), 0)
        case .semctl:
            let semaphore = Int(Int32(truncatingIfNeeded: a1)), command = a1 >> 32
            if command == 13 || command == 17 {  // GETALL, SETALL: sem_nsems unsigned shorts
                let count = semaphoreCount(a0)
                guard count >= 0 else { return count }
                guard Int64(length) >= count * 2 else { return -Int64(EFAULT) }
                return sysv(semaphore, Int(command), base)
            }
            guard let argument = controlArgument(call, command: command) else { return -Int64(EINVAL) }
            switch argument {
            case .none: return sysv(semaphore, Int(command), 0)
            case .value: return sysv(semaphore, Int(command), Int(Int32(truncatingIfNeeded: a2)))
            case let .structure(size):
                guard length >= size else { return -Int64(EFAULT) }
                return sysv(semaphore, Int(command), base)
            }
        case .semtimedop:
            guard a1 > 0, a1 <= 500 else { return a1 <= 0 ? -Int64(EINVAL) : -Int64(E2BIG) }
            guard let buffer, length >= Int(a1) * 6 else { return -Int64(EFAULT) }
            // A wait of at most a2 ns (never longer than longestWait), or none at all.
            if a2 > 0 {
                let interval = min(a2, longestWait)
                var timeout = timespec(tv_sec: Int(interval / 1_000_000_000), tv_nsec: Int(interval % 1_000_000_000))
                return withUnsafeMutablePointer(to: &timeout) { sysv(base, Int(a1), Int(bitPattern: $0)) }
            }
            for index in 0..<Int(a1) {
                let flags = buffer.loadUnaligned(fromByteOffset: index * 6 + 4, as: Int16.self)
                buffer.storeBytes(of: flags | Int16(ipcNoWait), toByteOffset: index * 6 + 4, as: Int16.self)
            }
            return sysv(base, Int(a1), 0)
        case .msgsnd:
            guard a1 >= 0, Int64(length) >= 8 + a1 else { return -Int64(EFAULT) }
            return sysv(base, Int(a1), Int(Int32(truncatingIfNeeded: a2 | ipcNoWait)))
        case .msgrcv:
            let size = a1 & 0xFFFF_FFFF, flags = Int64(Int32(truncatingIfNeeded: a1 >> 32)) | ipcNoWait
            guard Int64(length) >= 8 + size else { return -Int64(EFAULT) }
            return sysv(base, Int(size), Int(a2), Int(flags))
        case .shmat:
            guard let buffer, length >= 8 else { return -Int64(EFAULT) }
            return attach(id: Int32(truncatingIfNeeded: a0), flags: a1, size: buffer, addWindow: addWindow)
        }
    }

    /// shmat in the host, then the attachment becomes a window of the VM; its guest-physical
    /// address, its size in `size`.
    private static func attach(id: Int32, flags: Int64, size: UnsafeMutableRawBufferPointer,
                               addWindow: (UnsafeMutableRawPointer, UInt64) -> Int64) -> Int64 {
        var info = shmid_ds()
        guard shmctl(id, IPC_STAT, &info) == 0 else { return -Int64(errno) }
        let hostFlags = Int32(flags & (shmReadOnly | shmExec))
        guard let host = shmat(id, nil, hostFlags), host != UnsafeMutableRawPointer(bitPattern: -1) else { return -Int64(errno) }
        let length = (UInt64(info.shm_segsz) + 0xFFF) & ~UInt64(0xFFF)
        let address = addWindow(host, length)
        guard address >= 0 else {
            shmdt(host)
            return address
        }
        size.storeBytes(of: length, as: UInt64.self)
        return address
    }
}
