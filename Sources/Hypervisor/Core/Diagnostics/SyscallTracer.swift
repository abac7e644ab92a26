import Glibc

/// Collects the syscalls the kernel reports: prints one strace-like line per
/// call when tracing is on, and keeps the most recent ones for crash reports.
public final class SyscallTracer {
    /// How many recent syscalls a crash report shows.
    public static let historyLength = 16

    private let output: Int32?
    private let decoder: SyscallDecoder
    public private(set) var recent: [SyscallRecord] = []

    /// `output` is the host descriptor trace lines go to; nil keeps only the history.
    /// `decoder` spells the lines like strace (paths and buffers need it to read guest memory).
    public init(output: Int32?, decoder: SyscallDecoder = .withoutMemory) {
        self.output = output
        self.decoder = decoder
    }

    public func record(_ record: SyscallRecord) {
        recent.append(record)
        if recent.count > SyscallTracer.historyLength { recent.removeFirst(recent.count - SyscallTracer.historyLength) }
        if let output {
            let line = decoder.format(record) + "\n"
            _ = line.withCString { Glibc.write(output, $0, strlen($0)) }
        }
    }

    /// A call that never returned (the kernel faulted inside it, or the guest was stopped),
    /// as the trace spells calls: `write(1, "hi\n", 3)`.
    public func describeCall(number: UInt64, arguments: [UInt64]) -> String {
        decoder.formatCall(number: number, arguments: arguments)
    }

    /// Prints the trace line of a call that never returned, `call = result` with `result`
    /// saying why (`? <kernel bug>`), when tracing is on.
    public func recordUnfinished(_ call: String, result: String) {
        guard let output else { return }
        let line = "\(call) = \(result)\n"
        _ = line.withCString { Glibc.write(output, $0, strlen($0)) }
    }

    /// Ends a process's trace with how its syscalls entered the kernel (the exit hypercall's
    /// counts): `+++ syscall entries: 12 trapped, 3400 through rewritten sites, 5 sites rewritten +++`.
    /// Not a call line, so trace readers that take names before `(` skip it.
    public func recordSyscallEntries(trapped: UInt64, viaStub: UInt64, patchedSites: UInt32) {
        guard let output else { return }
        let line = Self.entriesLine(trapped: trapped, viaStub: viaStub, patchedSites: patchedSites) + "\n"
        _ = line.withCString { Glibc.write(output, $0, strlen($0)) }
    }

    public static func entriesLine(trapped: UInt64, viaStub: UInt64, patchedSites: UInt32) -> String {
        "+++ syscall entries: \(trapped) trapped, \(viaStub) through rewritten sites, \(patchedSites) sites rewritten +++"
    }

    /// `name(arg, ...) = result` with errno names for failures.
    public static func format(_ record: SyscallRecord) -> String {
        let name = LinuxSyscallNames.name(of: record.number) ?? "syscall_\(record.number)"
        let arguments = record.arguments.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
        let result: String
        if record.result < 0 && record.result >= -4095 {
            let errno = Int32(-record.result)
            result = "-1 \(LinuxErrno.name(errno)) (\(String(cString: strerror(errno))))"
        } else if record.result >= 0 && record.result < 4096 {
            result = String(record.result)
        } else {
            result = "0x" + String(UInt64(bitPattern: record.result), radix: 16)
        }
        return "\(name)(\(arguments)) = \(result)"
    }
}

/// Symbolic names of Linux errno values, for traces and reports.
public enum LinuxErrno {
    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        E2BIG: "E2BIG", ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
        ENFILE: "ENFILE", EMFILE: "EMFILE", ENOTTY: "ENOTTY", EFBIG: "EFBIG", ENOSPC: "ENOSPC",
        ESPIPE: "ESPIPE", EROFS: "EROFS", EMLINK: "EMLINK", EPIPE: "EPIPE", EDOM: "EDOM", ERANGE: "ERANGE",
        ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP",
        EOVERFLOW: "EOVERFLOW", ENOTSUP: "EOPNOTSUPP", ETIMEDOUT: "ETIMEDOUT",
    ]

    public static func name(_ errno: Int32) -> String { names[errno] ?? "E\(errno)" }
}
