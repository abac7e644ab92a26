/// The clone flags (Linux's include/uapi/linux/sched.h) and the checks a clone request goes
/// through, free of kernel state so that they are unit-tested on the host
/// (Tests/KernelLogicTests).
enum CloneFlags {
    static let vm: UInt64 = 0x100, fs: UInt64 = 0x200, files: UInt64 = 0x400
    static let sighand: UInt64 = 0x800, pidfd: UInt64 = 0x1000, ptrace: UInt64 = 0x2000
    static let vfork: UInt64 = 0x4000, parent: UInt64 = 0x8000, thread: UInt64 = 0x10000
    static let newNamespace: UInt64 = 0x20000, sysvsem: UInt64 = 0x40000, settls: UInt64 = 0x80000
    static let parentSettid: UInt64 = 0x10_0000, childCleartid: UInt64 = 0x20_0000
    static let detached: UInt64 = 0x40_0000, untraced: UInt64 = 0x80_0000
    static let childSettid: UInt64 = 0x100_0000, io: UInt64 = 0x8000_0000
    /// The namespace flags (CLONE_NEWNS ... CLONE_NEWNET, CLONE_NEWCGROUP), which need
    /// privileges and a container runtime the kernel does not have.
    static let namespaces: UInt64 = 0x7E02_0000

    /// Whether `flags` ask for a new process (fork: no CLONE_VM; vfork: CLONE_VM|CLONE_VFORK
    /// without CLONE_THREAD) that this kernel creates; EINVAL/EPERM as Linux for inconsistent
    /// sets and namespaces, ENOSYS for a process sharing its descriptor table, file-system
    /// context or signal handlers with its parent (separate VMs cannot share them).
    static func createsProcess(_ flags: UInt64) throws(Errno) -> Bool {
        guard flags & thread == 0 else { return false }
        guard flags & vm == 0 || flags & vfork != 0 else { return false }
        if flags & sighand != 0, flags & vm == 0 { throw .EINVAL }
        guard flags & namespaces == 0 else { throw .EPERM }
        guard flags & (files | fs | sighand | sysvsem | parent | pidfd) == 0 else { throw .ENOSYS }
        return true
    }

    /// Checks `flags` as Linux's copy_process does (EINVAL for inconsistent sets, EPERM for
    /// namespaces), then that they ask for what this kernel creates: a thread sharing the
    /// address space, files, file-system context and signal handlers. Anything else (a new
    /// process: fork, vfork, posix_spawn's CLONE_VM|CLONE_VFORK) is ENOSYS.
    static func checkThread(_ flags: UInt64) throws(Errno) {
        if flags & thread != 0, flags & sighand == 0 { throw .EINVAL }
        if flags & sighand != 0, flags & vm == 0 { throw .EINVAL }
        if flags & pidfd != 0, flags & (thread | detached) != 0 { throw .EINVAL }
        guard flags & namespaces == 0 else { throw .EPERM }
        guard flags & thread != 0, flags & vm != 0, flags & vfork == 0 else { throw .ENOSYS }
        guard flags & files != 0, flags & fs != 0 else { throw .ENOSYS }
    }
}
