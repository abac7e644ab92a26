/// signalfd and signalfd4, and reads of a signalfd (SignalDescriptor), as Linux's
/// fs/signalfd.c: a read takes pending signals of the descriptor's mask (the reading thread's
/// first, then the process's) as 128-byte signalfd_siginfo records (SignalDescriptorRecord).
enum SignalDescriptorSyscalls {
    private static let oNonblock = 0o4000, oCloexec = 0o2000000

    /// signalfd(fd, mask, sizemask): signalfd4 without flags.
    static func signalfd(_ a: SyscallArguments) throws(Errno) -> Int {
        try make(fd: a.int32(0), maskAddress: a[1], maskSize: a[2], flags: 0)
    }

    /// signalfd4(fd, mask, sizemask, flags): SFD_NONBLOCK, SFD_CLOEXEC.
    static func signalfd4(_ a: SyscallArguments) throws(Errno) -> Int {
        try make(fd: a.int32(0), maskAddress: a[1], maskSize: a[2], flags: a.int32(3))
    }

    /// As Linux: sizemask must be sizeof(sigset_t) (EINVAL), then the mask is read (EFAULT), then
    /// the flags checked (EINVAL). fd -1 makes a new descriptor; another must be a signalfd
    /// (EBADF when not open, EINVAL for another kind), whose mask is replaced (its flags stay).
    /// SIGKILL and SIGSTOP are left out of the mask.
    private static func make(fd: Int, maskAddress: UInt64, maskSize: UInt64, flags: Int) throws(Errno) -> Int {
        guard maskSize == 8 else { throw .EINVAL }
        let mask = try UserMemory.load(UInt64.self, from: maskAddress) & ~Signals.unblockable
        guard flags & ~(oNonblock | oCloexec) == 0 else { throw .EINVAL }
        if fd == -1 {
            let descriptor = SignalDescriptor(mask: mask)
            do throws(Errno) {
                return try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: 2 | (flags & oNonblock),
                                                                 object: .signals(descriptor), closeOnExec: flags & oCloexec != 0))
            } catch {
                SignalDescriptor.live -= 1
                throw error
            }
        }
        let file = try currentProcess.files.file(fd)
        guard case let .signals(descriptor)? = file.object else { throw .EINVAL }
        descriptor.mask = mask
        // As Linux: a new mask may make the descriptor readable for a reader or poller.
        SignalDescriptor.signalPending()
        return fd
    }

    /// read of a signalfd: as many records as fit in `count` (at least one: EINVAL below 128
    /// bytes), waiting for the first unless the descriptor is non-blocking (EAGAIN). As Linux's
    /// signalfd_dequeue, the wait takes a signal of the mask that arrives even when it is not
    /// blocked, and ends otherwise when a signal can be delivered (ERESTARTSYS: restarted after
    /// an SA_RESTART handler). A record that cannot be stored is lost, as on Linux (EFAULT when
    /// it is the first). write is EINVAL.
    static func read(_ descriptor: SignalDescriptor, file: OpenFile, buffer: UInt64, count: Int, write: Bool) throws(Errno) -> Int {
        let size = SignalDescriptorRecord.size
        guard !write, count >= size else { throw .EINVAL }
        var done = 0
        while done + size <= count {
            let info: SignalInfo
            if let taken = Signals.take(from: descriptor.mask) {
                info = taken
            } else {
                if done > 0 { break }
                if file.flags & oNonblock != 0 { throw .EAGAIN }
                if Signals.hasDeliverable(Scheduler.current) { throw .ERESTARTSYS }
                _ = Readiness.changes.wait()
                continue
            }
            let record = SignalDescriptorRecord.bytes(signal: info.signal, code: info.code, words: info.words,
                                                      address: info.address)
            do throws(Errno) {
                try UserMemory.copyOut(from: record, to: buffer + UInt64(done))
            } catch {
                if done > 0 { break }
                throw error
            }
            done += size
        }
        return done
    }
}
