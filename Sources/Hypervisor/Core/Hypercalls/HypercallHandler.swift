import Glibc
import UnikernelABI

/// Why the guest stopped for good.
public enum StopReason: Equatable, Sendable {
    /// exit_group(status).
    case exited(status: Int32)
    /// Killed by a signal's default action.
    case killed(signal: Int32)
    /// A CPU exception the kernel reported.
    case crashed(GuestCrash)
    /// The kernel hit an internal error.
    case kernelPanic(message: String)
}

/// What the run loop does after a hypercall.
public enum HypercallOutcome: Equatable, Sendable {
    /// Write `result` (if any) to the guest's block and resume the vCPU.
    case resume(result: Int64?)
    /// End the run.
    case stop(StopReason)
}

/// Performs decoded hypercalls against the host: files through the
/// sandboxed file table, bytes through bounds-checked guest memory.
public final class HypercallHandler {
    let memory: GuestMemory
    let files: HostFileTable
    let tracer: SyscallTracer?
    /// The runner's child processes (the guest's children).
    let processes = HostProcessTable()

    public init(memory: GuestMemory, files: HostFileTable, tracer: SyscallTracer?) {
        self.memory = memory
        self.files = files
        self.tracer = tracer
    }

    /// Performs `call` and says how the run continues.
    public func handle(_ call: Hypercall) -> HypercallOutcome {
        switch call {
        case let .exit(status, patchedSites, signal, trapped, viaStub):
            PhaseTimer.shared.noteExit(patchedSyscallSites: patchedSites, trappedSyscalls: trapped, stubSyscalls: viaStub)
            tracer?.recordSyscallEntries(trapped: trapped, viaStub: viaStub, patchedSites: patchedSites)
            return .stop(signal > 0 && signal < 65 ? .killed(signal: signal) : .exited(status: status))
        case let .write(handle, buffer, offset):
            return .resume(result: guestBytes(buffer) { files.write(handle: handle, from: UnsafeRawBufferPointer($0), offset: offset) })
        case let .read(handle, buffer, offset):
            return .resume(result: guestBytes(buffer) { files.read(handle: handle, into: $0, offset: offset) })
        case let .writeUser(handle, span, offset):
            return .resume(result: transfer(handle: handle, span: span, offset: offset, intoGuest: false))
        case let .readUser(handle, span, offset):
            return .resume(result: transfer(handle: handle, span: span, offset: offset, intoGuest: true))
        case let .open(path, flags, mode):
            return .resume(result: files.open(path: path, flags: flags, mode: mode))
        case let .close(handle):
            return .resume(result: files.close(handle: handle))
        case let .seek(handle, offset, whence):
            return .resume(result: files.seek(handle: handle, offset: offset, whence: whence))
        case let .status(handle, destination):
            return .resume(result: guestBytes(destination) { files.status(handle: handle, into: $0) })
        case let .terminalControl(handle, request, flags, argument):
            return .resume(result: guestBytes(argument) { files.terminalControl(handle: handle, request: request, flags: flags, into: $0) })
        case let .path(request, buffer):
            guard let buffer else { return .resume(result: files.perform(request, buffer: nil)) }
            return .resume(result: guestBytes(buffer) { files.perform(request, buffer: $0) })
        case let .file(handle, operation, buffer, value):
            guard let buffer else { return .resume(result: files.file(handle: handle, operation: operation, buffer: nil, value: value)) }
            return .resume(result: guestBytes(buffer) {
                files.file(handle: handle, operation: operation, buffer: $0, value: value, user: withUserBuffers)
            })
        case .flushPendingWrite:
            return .resume(result: flushPendingWrite())
        case let .crash(crash):
            return .stop(.crashed(crash))
        case let .panic(message):
            return .stop(.kernelPanic(message: message))
        case let .trace(record):
            tracer?.record(record)
            return .resume(result: nil)
        case let .process(request):
            return .resume(result: processes.perform(request, memory: memory, files: files))
        case .idle, .armTimer, .startCPU, .kick:
            // vCPU control: the run loop serves these before the handler (Machine.perform).
            return .resume(result: -Int64(ENOSYS))
        }
    }

    /// The most bytes moved per host readv/writev (IOV_MAX pages).
    static let transferChunk: UInt64 = 1024 * 4096

    /// Moves bytes between a host file and application memory, translating the
    /// application's addresses through its page tables page by page. Returns
    /// the bytes moved, or -errno if nothing moved.
    func transfer(handle: Int32, span: UserSpan, offset: Int64, intoGuest: Bool) -> Int64 {
        guard span.length > 0 else {
            return intoGuest ? files.read(handle: handle, vectors: [], offset: offset)
                             : files.write(handle: handle, vectors: [], offset: offset)
        }
        let walk = GuestPageWalk(memory: memory, root: span.root)
        let access: GuestPageWalk.Access = intoGuest ? [.user, .write] : [.user]
        var done: UInt64 = 0
        while done < span.length {
            let wanted = min(span.length - done, HypercallHandler.transferChunk)
            // At most IOV_MAX (1024) host vectors per call: an unaligned chunk over scattered frames can need one more.
            let ranges = Array(walk.ranges(span.address &+ done, length: wanted, access: access).prefix(1024))
            let mapped = ranges.reduce(0) { $0 + $1.length }
            guard mapped > 0 else { return done > 0 ? Int64(done) : -Int64(EFAULT) }
            let position = offset < 0 ? offset : offset + Int64(done)
            let moved = (try? memory.withIOVectors(ranges) { vectors in
                intoGuest ? files.read(handle: handle, vectors: vectors, offset: position)
                          : files.write(handle: handle, vectors: vectors, offset: position)
            }) ?? -Int64(EFAULT)
            if moved < 0 { return done > 0 ? Int64(done) : moved }
            done += UInt64(moved)
            if UInt64(moved) < wanted { break } // short transfer, end of file, or a fault further on
        }
        return Int64(done)
    }

    /// The most host vectors one call takes (IOV_MAX).
    static let maximumVectors = 1024

    /// Gives `body` the host vectors of the application's buffers `spans` (guest virtual
    /// addresses under page-table root `root`): -EFAULT unless every byte is mapped with the
    /// access the transfer needs, -EMSGSIZE beyond IOV_MAX vectors.
    func withUserBuffers(root: UInt64, spans: [(UInt64, UInt64)], intoGuest: Bool, body: ([iovec]) -> Int64) -> Int64 {
        let walk = GuestPageWalk(memory: memory, root: root)
        let access: GuestPageWalk.Access = intoGuest ? [.user, .write] : [.user]
        var ranges: [GuestRange] = []
        for (address, length) in spans where length > 0 {
            let part = walk.ranges(address, length: length, access: access)
            guard part.reduce(0, { $0 + $1.length }) == length else { return -Int64(EFAULT) }
            ranges += part
            guard ranges.count <= HypercallHandler.maximumVectors else { return -Int64(EMSGSIZE) }
        }
        return (try? memory.withIOVectors(ranges, body)) ?? -Int64(EFAULT)
    }

    /// Writes the bytes the kernel's write-behind buffer holds (`uk_pending_write` at
    /// UK_PENDING_WRITE_PHYS) at the handle's position and marks them written. Called for the
    /// guest's UK_HC_FLUSH, and by the machine when it stops a guest that cannot flush (timeout,
    /// SIGINT/SIGTERM, crash), so that what the program wrote reaches the file as on Linux.
    /// Everything is checked: a descriptor outside memory or naming no open handle writes nothing.
    /// Returns the bytes written (0 when nothing was pending) or -errno.
    public func flushPendingWrite() -> Int64 {
        let lengthAddress = UK_PENDING_WRITE_PHYS + UInt64(MemoryLayout<uk_pending_write>.offset(of: \uk_pending_write.length)!)
        guard let pending = try? memory.load(uk_pending_write.self, at: UK_PENDING_WRITE_PHYS), pending.length > 0 else { return 0 }
        defer { try? memory.store(UInt64(0), at: lengthAddress) }
        var done: UInt64 = 0
        while done < pending.length {
            let (start, overflow) = pending.buffer_phys.addingReportingOverflow(done)
            guard !overflow else { return -Int64(EFAULT) }
            let wrote = guestBytes(GuestRange(address: start, length: pending.length - done)) {
                files.write(handle: pending.handle, from: UnsafeRawBufferPointer($0), offset: -1)
            }
            if wrote < 0 { return wrote }
            if wrote == 0 { return -Int64(EIO) }
            done += UInt64(wrote)
        }
        return Int64(done)
    }

    /// Runs `body` on the host bytes of a range that decoding already checked.
    private func guestBytes(_ range: GuestRange, _ body: (UnsafeMutableRawBufferPointer) -> Int64) -> Int64 {
        (try? memory.withBytes(at: range.address, length: range.length, body)) ?? -Int64(EFAULT)
    }
}
