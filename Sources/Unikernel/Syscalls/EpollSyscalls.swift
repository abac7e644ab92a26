import UnikernelABI

/// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and epoll_pwait2 over every
/// descriptor kind: pipes, eventfds and epoll instances in the guest, host stdio asked with a
/// host poll. Checks come in Linux's order, so a call with several faults fails as on Linux.
/// The instances and their semantics are in Process/Epoll.swift.
enum EpollSyscalls {
    static let ctlAdd = 1, ctlDelete = 2, ctlModify = 3
    /// Linux's EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event).
    static let maximumEvents = Int(Int32.max) / EpollInstance.eventSize

    // MARK: creating

    static func epollCreate(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) > 0 else { throw .EINVAL }
        return try create(closeOnExec: false)
    }

    /// epoll_create1(flags): EPOLL_CLOEXEC (O_CLOEXEC) only.
    static func epollCreate1(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) & ~PipeSyscalls.oCloexec == 0 else { throw .EINVAL }
        return try create(closeOnExec: a.int32(0) != 0)
    }

    private static func create(closeOnExec: Bool) throws(Errno) -> Int {
        let instance = Epoll.create()
        do throws(Errno) {
            // Open O_RDWR, as Linux's anonymous inode.
            return try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: 2, object: .epoll(instance),
                                                             closeOnExec: closeOnExec))
        } catch {
            Epoll.destroy(instance)
            throw error
        }
    }

    // MARK: the interest list

    /// epoll_ctl(epfd, op, fd, event).
    static func epollCtl(_ a: SyscallArguments) throws(Errno) -> Int {
        let operation = a.int32(1)
        var events: UInt32 = 0
        var data: UInt64 = 0
        if operation != ctlDelete {
            try UserMemory.validate(a[3], EpollInstance.eventSize)
            events = try UserMemory.load(UInt32.self, from: a[3])
            data = try UserMemory.load(UInt64.self, from: a[3] + 4)
        }
        let epollFile = try currentProcess.files.file(a.int32(0))
        let file = try currentProcess.files.file(a.int32(2))
        if file.object == nil { try checkPollable(file) }
        // A /proc file has no poll operation: EPERM, as for a regular file.
        if case .synthetic? = file.object { throw .EPERM }
        guard case let .epoll(instance)? = epollFile.object, !file.sameDescription(as: epollFile) else { throw .EINVAL }
        let target = EpollTarget(file)
        var targetIsEpoll = false
        if case .object(.epoll) = target { targetIsEpoll = true }
        if operation != ctlDelete, events & Epoll.exclusive != 0 {
            if operation == ctlModify { throw .EINVAL }
            if operation == ctlAdd, targetIsEpoll || events & ~Epoll.exclusiveAllowed != 0 { throw .EINVAL }
        }
        // Linux's full check, when the instance is nested or the target is one: no cycle, no deeper
        // nesting than allowed (ELOOP), no more wake-up paths than allowed (EINVAL, after EEXIST).
        let fullCheck = operation == ctlAdd && (targetIsEpoll || !instance.watchers.isEmpty)
        var pathChecks: [EpollTarget] = []
        if operation == ctlAdd, case let .object(.epoll(inner)) = target {
            try Epoll.checkNesting(adding: inner, to: instance, files: &pathChecks)
        } else if fullCheck {
            pathChecks.append(target)
        }
        let existing = instance.item(fd: a.int32(2), target: target)
        let always = Readiness.pollErr | Readiness.pollHup
        switch operation {
        case ctlAdd:
            guard existing == nil else { throw .EEXIST }
            guard Epoll.itemCount < Epoll.itemLimit else { throw .ENOSPC }
            try instance.insert(fd: a.int32(2), target: target, events: events | always, data: data,
                                host: try hostAnswers(for: target, events: events | always), pathChecks: fullCheck ? pathChecks : nil)
        case ctlDelete:
            guard let existing else { throw .ENOENT }
            instance.remove(existing)
        case ctlModify:
            guard let existing else { throw .ENOENT }
            guard existing.events & Epoll.exclusive == 0 else { throw .EINVAL }
            existing.owner.modify(existing, events: events | always, data: data,
                                  host: try hostAnswers(for: target, events: events | always))
        default:
            throw .EINVAL
        }
        return 0
    }

    /// Linux refuses files without a poll method (EPERM): regular files, directories, block
    /// devices and the memory devices other than /dev/random and /dev/kmsg (/dev/null, /dev/zero,
    /// /dev/full, /dev/urandom). A host descriptor's kind comes from a host fstat.
    private static func checkPollable(_ file: OpenFile) throws(Errno) {
        _ = try Errno.check(Hypercall.fstat(handle: file.hostHandle, statPhysical: BounceBuffer.physical))
        // SAFETY: the host wrote a 144-byte struct stat at the start of the bounce buffer:
        // st_mode at 24, st_rdev at 40.
        let kind = BounceBuffer.pointer.load(fromByteOffset: 24, as: UInt32.self) & 0o170000
        if kind == 0o100000 || kind == 0o040000 || kind == 0o060000 { throw .EPERM }
        if kind == 0o020000 {
            let device = BounceBuffer.pointer.load(fromByteOffset: 40, as: UInt64.self)
            let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
            let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
            if major == 1, minor != 8, minor != 11 { throw .EPERM }
        }
    }

    /// The host's current answers for what `target` needs asked (itself, or a nested instance's host items).
    private static func hostAnswers(for target: EpollTarget, events: UInt32) throws(Errno) -> HostAnswers {
        var query = Readiness.HostQuery()
        switch target {
        case let .host(handle): query.add(handle, events: events)
        case let .object(.epoll(nested)): nested.collectHostHandles(into: &query)
        default: break
        }
        return try Readiness.askHost(query, milliseconds: 0)
    }

    // MARK: waiting

    /// epoll_wait(epfd, events, maxevents, timeout): milliseconds, negative waits without end.
    static func epollWait(_ a: SyscallArguments) throws(Errno) -> Int {
        try wait(a, timeout: milliseconds(a.int32(3)))
    }

    /// epoll_pwait(epfd, events, maxevents, timeout, sigmask, sigsetsize): epoll_wait under a
    /// temporary signal mask.
    static func epollPwait(_ a: SyscallArguments) throws(Errno) -> Int {
        try Signals.withTemporaryMask(a[4], size: a[5]) { () throws(Errno) -> Int in
            try wait(a, timeout: milliseconds(a.int32(3)))
        }
    }

    /// epoll_pwait2(epfd, events, maxevents, timeout, sigmask, sigsetsize): a timespec timeout
    /// (NULL: none), checked before the mask is applied; the time left is not written back.
    static func epollPwait2(_ a: SyscallArguments) throws(Errno) -> Int {
        let timeout = try PipeSyscalls.timespec(a[3])
        return try Signals.withTemporaryMask(a[4], size: a[5]) { () throws(Errno) -> Int in
            try wait(a, timeout: timeout)
        }
    }

    private static func milliseconds(_ value: Int) -> UInt64? {
        value < 0 ? nil : UInt64(value) * 1_000_000
    }

    /// The shared core of the three waits (Linux's do_epoll_wait and ep_poll). The checks come in
    /// the order of Linux 6.15 and later: the descriptor, maxevents, the buffer's range, the kind.
    private static func wait(_ a: SyscallArguments, timeout: UInt64?) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        let maximum = a.int32(2)
        guard maximum > 0, maximum <= maximumEvents else { throw .EINVAL }
        let address = a[1]
        try UserMemory.validate(address, maximum * EpollInstance.eventSize)
        guard case let .epoll(instance)? = file.object else { throw .EINVAL }
        var query = Readiness.HostQuery()
        instance.collectHostHandles(into: &query)
        return try Readiness.waitForReadiness(deadline: Readiness.deadline(after: timeout), host: query) {
            (host) throws(Errno) -> Int in
            try instance.sendEvents(to: address, maximum: maximum, host: host)
        }
    }
}
