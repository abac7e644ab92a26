import Glibc
import UnikernelABI

/// Why the guest stopped for good.
public enum StopReason: Equatable, Sendable {
    /// exit_group(status).
    case exited(status: Int32)
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

    public init(memory: GuestMemory, files: HostFileTable, tracer: SyscallTracer?) {
        self.memory = memory
        self.files = files
        self.tracer = tracer
    }

    /// Performs `call` and says how the run continues.
    public func handle(_ call: Hypercall) -> HypercallOutcome {
        switch call {
        case let .exit(status):
            return .stop(.exited(status: status))
        case let .write(handle, buffer, offset):
            return .resume(result: guestBytes(buffer) { files.write(handle: handle, from: UnsafeRawBufferPointer($0), offset: offset) })
        case let .read(handle, buffer, offset):
            return .resume(result: guestBytes(buffer) { files.read(handle: handle, into: $0, offset: offset) })
        case let .open(path, flags, mode):
            return .resume(result: files.open(path: path, flags: flags, mode: mode))
        case let .close(handle):
            return .resume(result: files.close(handle: handle))
        case let .seek(handle, offset, whence):
            return .resume(result: files.seek(handle: handle, offset: offset, whence: whence))
        case let .status(handle, destination):
            return .resume(result: guestBytes(destination) { files.status(handle: handle, into: $0) })
        case let .terminalControl(handle, request, argument):
            return .resume(result: guestBytes(argument) { files.terminalControl(handle: handle, request: request, into: $0) })
        case let .crash(crash):
            return .stop(.crashed(crash))
        case let .panic(message):
            return .stop(.kernelPanic(message: message))
        case let .trace(record):
            tracer?.record(record)
            return .resume(result: nil)
        }
    }

    /// Runs `body` on the host bytes of a range that decoding already checked.
    private func guestBytes(_ range: GuestRange, _ body: (UnsafeMutableRawBufferPointer) -> Int64) -> Int64 {
        (try? memory.withBytes(at: range.address, length: range.length, body)) ?? -Int64(EFAULT)
    }
}
