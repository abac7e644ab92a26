import Glibc

/// Turns a traced syscall into the line strace would print for it: fds as numbers,
/// `AT_FDCWD`, paths and buffers as quoted strings read from application memory, flags
/// symbolic (`O_RDONLY|O_CLOEXEC`, `PROT_*`, `MAP_*`, `CLOCK_*`), sizes in decimal,
/// pointers in hex, and results as `= -1 ENOENT (No such file or directory)`.
///
/// Guest memory is only ever read through `readMemory`, which the machine backs with a
/// bounds-checked page walk of user-accessible pages; an unreadable pointer is printed
/// in hex instead of its contents. Syscalls without a signature print six hex arguments.
public struct SyscallDecoder {
    /// Reads up to `count` bytes of application memory at a guest-virtual address,
    /// stopping early at the first unmapped or kernel-only page.
    public var readMemory: (_ address: UInt64, _ count: Int) -> [UInt8]

    /// How many bytes of a data buffer are shown before `...` (strace's default `-s 32`).
    public static let bufferLimit = 32
    /// The longest path or NUL-terminated string read (Linux's PATH_MAX).
    public static let pathLimit = 4096
    /// How many iovec entries of a readv/writev are shown.
    static let iovecLimit = 8

    public init(readMemory: @escaping (_ address: UInt64, _ count: Int) -> [UInt8]) {
        self.readMemory = readMemory
    }

    /// A decoder over the application's address space: translates through the guest's page
    /// tables (`root` = the guest CR3) and reads only user-accessible pages.
    public init(memory: GuestMemory, root: UInt64) {
        let walk = GuestPageWalk(memory: memory, root: root)
        readMemory = { address, count in walk.readUser(address, count: count) }
    }

    /// A decoder that reads no memory: every pointer is printed in hex.
    public static var withoutMemory: SyscallDecoder { SyscallDecoder { _, _ in [] } }

    /// `name(arg, ...) = result`, as strace prints it.
    public func format(_ record: SyscallRecord) -> String {
        let name = LinuxSyscallNames.name(of: record.number) ?? "syscall_\(record.number)"
        return "\(name)(\(arguments(of: record, name: name).joined(separator: ", "))) = \(SyscallDecoder.result(of: record, name: name))"
    }

    /// `name(arg, ...)` of a call that never returned, its arguments spelled as `format` spells
    /// them; buffers the call would have filled are shown as pointers.
    public func formatCall(number: UInt64, arguments: [UInt64]) -> String {
        let name = LinuxSyscallNames.name(of: number) ?? "syscall_\(number)"
        let record = SyscallRecord(number: number, arguments: arguments, result: Int64.min)
        return "\(name)(\(self.arguments(of: record, name: name).joined(separator: ", ")))"
    }

    /// The arguments as strace prints them.
    func arguments(of record: SyscallRecord, name: String) -> [String] {
        let a = record.arguments + [UInt64](repeating: 0, count: max(0, 6 - record.arguments.count))
        guard let kinds = SyscallDecoder.signatures[name] else {
            return a.prefix(6).map(SyscallDecoder.hex)
        }
        return kinds.enumerated().map { index, kind in render(kind, a[index], arguments: a, result: record.result) }
            .filter { !$0.isEmpty }
    }

    /// The result: errno name and message for failures, hex for addresses, else decimal.
    public static func result(of record: SyscallRecord, name: String? = nil) -> String {
        let name = name ?? LinuxSyscallNames.name(of: record.number) ?? ""
        if record.result < 0 && record.result >= -4095 {
            let errno = Int32(-record.result)
            return "-1 \(LinuxErrno.name(errno)) (\(String(cString: strerror(errno))))"
        }
        if addressResults.contains(name) { return hex(UInt64(bitPattern: record.result)) }
        return String(record.result)
    }

    // MARK: - Argument kinds

    /// How one argument is printed.
    enum Kind: Sendable {
        case fd, dirfd, path, size, signed, pointer, hexValue, octalMode
        /// A buffer the call reads: `count` bytes taken from argument `lengthIndex`.
        case inBuffer(lengthIndex: Int)
        /// A buffer the call fills: as many bytes as the result says, after success.
        case outBuffer
        /// A NUL-terminated string the call fills (getcwd), shown after success.
        case outString
        /// An iovec array the call reads (writev): count in argument `countIndex`.
        case inIovec(countIndex: Int)
        /// The open flags; the mode that follows is printed only with O_CREAT/O_TMPFILE.
        case openFlags
        /// The mode of open/openat: octal, or omitted when `flagsIndex` has no O_CREAT.
        case createMode(flagsIndex: Int)
        case symbolic(SymbolTable)
        case flags(FlagTable)
    }

    static let signatures: [String: [Kind]] = {
        let prot = Kind.flags(.protection), mapFlags = Kind.flags(.mapping), at = Kind.flags(.atFlags)
        return [
            "read": [.fd, .outBuffer, .size], "write": [.fd, .inBuffer(lengthIndex: 2), .size],
            "pread64": [.fd, .outBuffer, .size, .signed], "pwrite64": [.fd, .inBuffer(lengthIndex: 2), .size, .signed],
            "readv": [.fd, .pointer, .signed], "writev": [.fd, .inIovec(countIndex: 2), .signed],
            "open": [.path, .openFlags, .createMode(flagsIndex: 1)],
            "openat": [.dirfd, .path, .openFlags, .createMode(flagsIndex: 2)],
            "creat": [.path, .octalMode],
            "close": [.fd], "dup": [.fd], "dup2": [.fd, .fd], "dup3": [.fd, .fd, .flags(.openFlagsOnly)],
            "stat": [.path, .pointer], "lstat": [.path, .pointer], "fstat": [.fd, .pointer],
            "newfstatat": [.dirfd, .path, .pointer, at],
            "statx": [.dirfd, .path, at, .hexValue, .pointer],
            "lseek": [.fd, .signed, .symbolic(.whence)],
            "mmap": [.pointer, .size, prot, mapFlags, .fd, .hexValue],
            "mprotect": [.pointer, .size, prot], "munmap": [.pointer, .size],
            "mremap": [.pointer, .size, .size, .flags(.remap), .pointer],
            "madvise": [.pointer, .size, .symbolic(.madvise)],
            "brk": [.pointer],
            "rt_sigaction": [.symbolic(.signal), .pointer, .pointer, .size],
            "rt_sigprocmask": [.symbolic(.sigprocmaskHow), .pointer, .pointer, .size],
            "sigaltstack": [.pointer, .pointer],
            "ioctl": [.fd, .symbolic(.ioctl), .pointer],
            "fcntl": [.fd, .symbolic(.fcntl), .hexValue],
            "access": [.path, .flags(.access)],
            "faccessat": [.dirfd, .path, .flags(.access)], "faccessat2": [.dirfd, .path, .flags(.access), at],
            "pipe": [.pointer], "pipe2": [.pointer, .flags(.openFlagsOnly)],
            "signalfd": [.fd, .pointer, .size], "signalfd4": [.fd, .pointer, .size, .flags(.openFlagsOnly)],
            "inotify_init": [], "inotify_init1": [.flags(.openFlagsOnly)],
            "inotify_add_watch": [.fd, .path, .hexValue], "inotify_rm_watch": [.fd, .signed],
            "socket": [.signed, .hexValue, .signed], "socketpair": [.signed, .hexValue, .signed, .pointer],
            "bind": [.fd, .pointer, .signed], "connect": [.fd, .pointer, .signed], "listen": [.fd, .signed],
            "accept": [.fd, .pointer, .pointer], "accept4": [.fd, .pointer, .pointer, .hexValue],
            "shutdown": [.fd, .signed], "getsockname": [.fd, .pointer, .pointer], "getpeername": [.fd, .pointer, .pointer],
            "sendto": [.fd, .pointer, .size, .hexValue, .pointer, .signed],
            "recvfrom": [.fd, .pointer, .size, .hexValue, .pointer, .pointer],
            "sendmsg": [.fd, .pointer, .hexValue], "recvmsg": [.fd, .pointer, .hexValue],
            "sendmmsg": [.fd, .pointer, .signed, .hexValue], "recvmmsg": [.fd, .pointer, .signed, .hexValue, .pointer],
            "setsockopt": [.fd, .signed, .signed, .pointer, .signed], "getsockopt": [.fd, .signed, .signed, .pointer, .pointer],
            "sched_yield": [], "getpid": [], "gettid": [], "getppid": [], "getuid": [], "geteuid": [],
            "getgid": [], "getegid": [], "getpgrp": [], "setsid": [],
            "nanosleep": [.pointer, .pointer],
            "clock_gettime": [.symbolic(.clock), .pointer], "clock_getres": [.symbolic(.clock), .pointer],
            "clock_nanosleep": [.symbolic(.clock), .flags(.timerFlags), .pointer, .pointer],
            "gettimeofday": [.pointer, .pointer], "time": [.pointer],
            "exit": [.signed], "exit_group": [.signed],
            "uname": [.pointer], "sysinfo": [.pointer],
            "fsync": [.fd], "fdatasync": [.fd], "ftruncate": [.fd, .signed], "truncate": [.path, .signed],
            "getcwd": [.outString, .size], "chdir": [.path], "fchdir": [.fd],
            "rename": [.path, .path], "renameat": [.dirfd, .path, .dirfd, .path],
            "renameat2": [.dirfd, .path, .dirfd, .path, .hexValue],
            "mkdir": [.path, .octalMode], "mkdirat": [.dirfd, .path, .octalMode], "rmdir": [.path],
            "link": [.path, .path], "linkat": [.dirfd, .path, .dirfd, .path, at],
            "unlink": [.path], "unlinkat": [.dirfd, .path, at],
            "symlink": [.path, .path], "symlinkat": [.path, .dirfd, .path],
            "readlink": [.path, .outBuffer, .size], "readlinkat": [.dirfd, .path, .outBuffer, .size],
            "chmod": [.path, .octalMode], "fchmod": [.fd, .octalMode], "fchmodat": [.dirfd, .path, .octalMode],
            "umask": [.octalMode],
            "utimensat": [.dirfd, .path, .pointer, at],
            "statfs": [.path, .pointer], "fstatfs": [.fd, .pointer],
            "getdents64": [.fd, .pointer, .size],
            "getrlimit": [.symbolic(.rlimit), .pointer], "setrlimit": [.symbolic(.rlimit), .pointer],
            "prlimit64": [.signed, .symbolic(.rlimit), .pointer, .pointer],
            "arch_prctl": [.symbolic(.archPrctl), .pointer],
            "set_tid_address": [.pointer], "set_robust_list": [.pointer, .size],
            "futex": [.pointer, .symbolic(.futex), .signed, .pointer],
            "getrandom": [.outBuffer, .size, .flags(.random)],
            "rseq": [.pointer, .size, .hexValue, .hexValue],
            "kill": [.signed, .symbolic(.signal)], "tkill": [.signed, .symbolic(.signal)],
            "tgkill": [.signed, .signed, .symbolic(.signal)],
            "pidfd_open": [.signed, .hexValue], "pidfd_send_signal": [.fd, .symbolic(.signal), .pointer, .hexValue],
            "sched_getaffinity": [.signed, .size, .pointer],
            "prctl": [.signed, .hexValue, .hexValue, .hexValue, .hexValue],
            "poll": [.pointer, .size, .signed], "ppoll": [.pointer, .size, .pointer, .pointer, .size],
            "membarrier": [.signed, .hexValue],
        ]
    }()

    /// Syscalls whose non-error result is an address.
    static let addressResults: Set<String> = ["brk", "mmap", "mremap", "shmat"]

    func render(_ kind: Kind, _ value: UInt64, arguments a: [UInt64], result: Int64) -> String {
        switch kind {
        case .fd:
            return String(Int32(truncatingIfNeeded: value))
        case .dirfd:
            let fd = Int32(truncatingIfNeeded: value)
            return fd == -100 ? "AT_FDCWD" : String(fd)
        case .path:
            guard value != 0 else { return "NULL" }
            guard let bytes = readString(at: value) else { return Self.hex(value) }
            return Self.quote(bytes, limit: Self.pathLimit)
        case .size:
            return String(value)
        case .signed:
            return String(Int64(bitPattern: value))
        case .pointer:
            return value == 0 ? "NULL" : Self.hex(value)
        case .hexValue:
            return Self.hex(value)
        case .octalMode:
            return Self.octal(value)
        case let .inBuffer(lengthIndex):
            return buffer(at: value, length: a[lengthIndex])
        case .outBuffer:
            guard result >= 0 else { return value == 0 ? "NULL" : Self.hex(value) }
            return result == 0 ? "\"\"" : buffer(at: value, length: UInt64(result))
        case .outString:
            guard result > 0, let bytes = readString(at: value) else { return Self.hex(value) }
            return Self.quote(bytes, limit: Self.pathLimit)
        case let .inIovec(countIndex):
            return iovecs(at: value, count: a[countIndex])
        case .openFlags:
            return FlagTable.open.render(value)
        case let .createMode(flagsIndex):
            // strace prints the mode only when the flags use it; the caller drops "".
            return a[flagsIndex] & (0o100 | 0o20000000) != 0 ? Self.octal(value) : ""
        case let .symbolic(table):
            return table.render(value)
        case let .flags(table):
            return table.render(value)
        }
    }

    /// `"bytes"` (with `...` when longer than the limit) or the pointer when unreadable.
    func buffer(at address: UInt64, length: UInt64) -> String {
        let shown = Int(min(length, UInt64(Self.bufferLimit)))
        let bytes = readMemory(address, shown)
        guard bytes.count == shown else { return Self.hex(address) }
        return Self.quote(bytes, limit: shown) + (length > UInt64(shown) ? "..." : "")
    }

    /// `[{iov_base="...", iov_len=N}, ...]` for a readable iovec array.
    func iovecs(at address: UInt64, count: UInt64) -> String {
        let shown = Int(min(count, UInt64(Self.iovecLimit)))
        let raw = readMemory(address, 16 * shown)
        guard raw.count == 16 * shown else { return Self.hex(address) }
        var parts: [String] = []
        for i in 0..<shown {
            let base = Self.word(raw, at: 16 * i), length = Self.word(raw, at: 16 * i + 8)
            parts.append("{iov_base=\(buffer(at: base, length: length)), iov_len=\(length)}")
        }
        return "[" + parts.joined(separator: ", ") + (count > UInt64(shown) ? ", ..." : "") + "]"
    }

    /// The bytes of a NUL-terminated string, read page by page; nil when unreadable or
    /// longer than `pathLimit`.
    func readString(at address: UInt64) -> [UInt8]? {
        var bytes: [UInt8] = []
        var next = address
        while bytes.count < Self.pathLimit {
            let chunk = min(Int(4096 - (next & 0xFFF)), Self.pathLimit - bytes.count)
            let read = readMemory(next, chunk)
            if let end = read.firstIndex(of: 0) { return bytes + read[..<end] }
            guard read.count == chunk else { return nil }
            bytes += read
            next &+= UInt64(chunk)
        }
        return nil
    }

    static func word(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    static func octal(_ value: UInt64) -> String { value == 0 ? "0" : "0" + String(value, radix: 8) }

    /// A C string literal as strace writes it: `\n`, `\t`, `\"`, `\\`, octal escapes for
    /// other non-printable bytes, and `...` after the quote when cut at `limit`.
    public static func quote(_ bytes: some Collection<UInt8>, limit: Int) -> String {
        let shown = Array(bytes.prefix(limit))
        var text = "\""
        for (index, byte) in shown.enumerated() {
            switch byte {
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x09: text += "\\t"
            case 0x0A: text += "\\n"
            case 0x0B: text += "\\v"
            case 0x0C: text += "\\f"
            case 0x0D: text += "\\r"
            case 0x20..<0x7F: text.append(Character(Unicode.Scalar(byte)))
            default:
                let nextIsDigit = index + 1 < shown.count && (0x30...0x37).contains(shown[index + 1])
                let digits = String(byte, radix: 8)
                text += "\\" + (nextIsDigit ? String(repeating: "0", count: 3 - digits.count) : "") + digits
            }
        }
        return text + "\"" + (bytes.count > limit ? "..." : "")
    }
}

extension SyscallDecoder {
    /// A value that names one constant (`CLOCK_MONOTONIC`, `SEEK_END`, `SIGSEGV`).
    struct SymbolTable: Sendable {
        var names: [UInt64: String]
        /// Printed for values without a name: decimal or hex.
        var unknownInHex = false
        /// Bits that are stripped and named separately (FUTEX_PRIVATE_FLAG).
        var modifier: (mask: UInt64, suffix: String)?
        /// Whether Linux reads the value as an `unsigned int` (ioctl's request, which musl
        /// passes sign-extended): only its low 32 bits name it.
        var thirtyTwoBits = false

        func render(_ value: UInt64) -> String {
            let value = thirtyTwoBits ? value & 0xFFFF_FFFF : value
            var base = value
            var suffix = ""
            if let modifier, value & modifier.mask != 0 {
                base &= ~modifier.mask
                suffix = modifier.suffix
            }
            if let name = names[base] { return name + suffix }
            return unknownInHex ? SyscallDecoder.hex(value) : String(Int64(bitPattern: value))
        }

        static let whence = SymbolTable(names: [0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE"])
        static let clock = SymbolTable(names: [
            0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID", 3: "CLOCK_THREAD_CPUTIME_ID",
            4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE", 6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME",
            8: "CLOCK_REALTIME_ALARM", 9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI",
        ])
        static let archPrctl = SymbolTable(names: [
            0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS",
            0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID",
        ], unknownInHex: true)
        static let ioctl = SymbolTable(names: [
            0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF", 0x5409: "TCSBRK",
            0x540A: "TCXONC", 0x540B: "TCFLSH", 0x540E: "TIOCSCTTY", 0x540F: "TIOCGPGRP", 0x5410: "TIOCSPGRP",
            0x5411: "TIOCOUTQ", 0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ", 0x541B: "FIONREAD", 0x5421: "FIONBIO",
            0x5422: "TIOCNOTTY", 0x5425: "TCSBRKP", 0x5429: "TIOCGSID", 0x5420: "TIOCPKT", 0x5441: "TIOCGPTPEER",
            0x8004_5430: "TIOCGPTN", 0x4004_5431: "TIOCSPTLCK", 0x8004_5438: "TIOCGPKT", 0x8004_5439: "TIOCGPTLCK",
        ], unknownInHex: true, thirtyTwoBits: true)
        static let fcntl = SymbolTable(names: [
            0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK", 6: "F_SETLK",
            7: "F_SETLKW", 1030: "F_DUPFD_CLOEXEC",
        ])
        static let rlimit = SymbolTable(names: [
            0: "RLIMIT_CPU", 1: "RLIMIT_FSIZE", 2: "RLIMIT_DATA", 3: "RLIMIT_STACK", 4: "RLIMIT_CORE",
            5: "RLIMIT_RSS", 6: "RLIMIT_NPROC", 7: "RLIMIT_NOFILE", 8: "RLIMIT_MEMLOCK", 9: "RLIMIT_AS",
            10: "RLIMIT_LOCKS", 11: "RLIMIT_SIGPENDING", 12: "RLIMIT_MSGQUEUE", 13: "RLIMIT_NICE",
            14: "RLIMIT_RTPRIO", 15: "RLIMIT_RTTIME",
        ])
        static let sigprocmaskHow = SymbolTable(names: [0: "SIG_BLOCK", 1: "SIG_UNBLOCK", 2: "SIG_SETMASK"])
        static let madvise = SymbolTable(names: [
            0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED", 4: "MADV_DONTNEED",
            8: "MADV_FREE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE",
        ])
        static let futex = SymbolTable(names: [
            0: "FUTEX_WAIT", 1: "FUTEX_WAKE", 2: "FUTEX_FD", 3: "FUTEX_REQUEUE", 4: "FUTEX_CMP_REQUEUE",
            5: "FUTEX_WAKE_OP", 6: "FUTEX_LOCK_PI", 7: "FUTEX_UNLOCK_PI", 9: "FUTEX_WAIT_BITSET",
            10: "FUTEX_WAKE_BITSET",
        ], modifier: (128, "_PRIVATE"))
        static let signal: SymbolTable = {
            let names = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
                         "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
                         "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
                         "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
                         "SIGPWR", "SIGSYS"]
            var table: [UInt64: String] = [:]
            for (index, name) in names.enumerated() { table[UInt64(index + 1)] = name }
            for n in 32...64 { table[UInt64(n)] = n == 64 ? "SIGRTMAX" : "SIGRT_\(n - 32)" }
            return SymbolTable(names: table)
        }()
    }

    /// A bit set printed as `A|B|0x...`, with an optional field (the access mode) named first.
    struct FlagTable: Sendable {
        var bits: [(UInt64, String)]
        /// A multi-bit field named by value before the bits (O_ACCMODE, MAP_TYPE).
        var field: (mask: UInt64, names: [UInt64: String])?
        /// The name of 0 when there is no field (PROT_NONE, F_OK).
        var zero = "0"

        func render(_ value: UInt64) -> String {
            var parts: [String] = []
            var rest = value
            if let field {
                let fieldValue = value & field.mask
                parts.append(field.names[fieldValue] ?? SyscallDecoder.hex(fieldValue))
                rest &= ~field.mask
            }
            for (bit, name) in bits where rest & bit == bit && bit != 0 {
                parts.append(name)
                rest &= ~bit
            }
            if rest != 0 { parts.append(SyscallDecoder.hex(rest)) }
            return parts.isEmpty ? zero : parts.joined(separator: "|")
        }

        /// Open flags other than the access mode (O_SYNC before O_DSYNC, O_TMPFILE before O_DIRECTORY).
        static let openBits: [(UInt64, String)] = [
            (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"),
            (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"), (0o10000, "O_DSYNC"), (0o20000, "O_ASYNC"),
            (0o40000, "O_DIRECT"), (0o100000, "O_LARGEFILE"), (0o20200000, "O_TMPFILE"), (0o200000, "O_DIRECTORY"),
            (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"), (0o10000000, "O_PATH"),
        ]
        static let open = FlagTable(bits: openBits, field: (3, [0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR"]))
        /// dup3/pipe2 flags: O_CLOEXEC and friends, no access mode.
        static let openFlagsOnly = FlagTable(bits: openBits)
        static let protection = FlagTable(bits: [
            (1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (0x0100_0000, "PROT_GROWSDOWN"),
            (0x0200_0000, "PROT_GROWSUP"),
        ], zero: "PROT_NONE")
        static let mapping = FlagTable(bits: [
            (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"),
            (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x4000, "MAP_NORESERVE"),
            (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"), (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"),
            (0x80000, "MAP_SYNC"), (0x100000, "MAP_FIXED_NOREPLACE"),
        ], field: (0xF, [0: "0", 1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"]))
        static let remap = FlagTable(bits: [(1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP")])
        static let atFlags = FlagTable(bits: [
            (0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"),
            (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH"),
        ])
        static let access = FlagTable(bits: [(4, "R_OK"), (2, "W_OK"), (1, "X_OK")], zero: "F_OK")
        static let random = FlagTable(bits: [(1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE")])
        static let timerFlags = FlagTable(bits: [(1, "TIMER_ABSTIME")])
    }
}

extension GuestPageWalk {
    /// Up to `count` bytes of user-accessible memory at `virtualAddress`, stopping at the
    /// first page that is unmapped or kernel-only; every byte goes through `GuestMemory`.
    func readUser(_ virtualAddress: UInt64, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes: [UInt8] = []
        for range in ranges(virtualAddress, length: UInt64(count), access: .user) {
            guard let chunk = try? memory.read(at: range.address, length: range.length) else { break }
            bytes += chunk
        }
        return bytes
    }
}
