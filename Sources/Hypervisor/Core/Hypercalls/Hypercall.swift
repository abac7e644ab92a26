import UnikernelABI

/// A range of guest-physical memory named by the guest, already bounds-checked.
public struct GuestRange: Equatable, Sendable {
    public var address: UInt64
    public var length: UInt64
}

/// A range of application memory named by its virtual address, to be
/// translated through the guest's page tables rooted at `root`.
public struct UserSpan: Equatable, Sendable {
    public var root: UInt64
    public var address: UInt64
    public var length: UInt64
}

/// A CPU exception the kernel could not handle, as it reported it.
public struct GuestCrash: Equatable, Sendable {
    public var vector: UInt32
    public var errorCode: UInt64?
    public var registers: uk_registers

    public static func == (lhs: GuestCrash, rhs: GuestCrash) -> Bool {
        lhs.vector == rhs.vector && lhs.errorCode == rhs.errorCode
            && withUnsafeBytes(of: lhs.registers) { l in withUnsafeBytes(of: rhs.registers) { r in l.elementsEqual(r) } }
    }
}

/// One syscall the application made, for --trace.
public struct SyscallRecord: Equatable, Sendable {
    public var number: UInt64
    public var arguments: [UInt64]
    public var result: Int64
}

/// A hypercall decoded from its port and parameter block, every guest
/// address in it validated. Decoding never performs the call.
public enum Hypercall: Equatable, Sendable {
    /// The process ended: exit_group(status), or killed by `signal` (> 0).
    /// `trappedSyscalls` and `stubSyscalls` count how the process's syscalls entered the kernel.
    case exit(status: Int32, patchedSyscallSites: UInt32, signal: Int32, trappedSyscalls: UInt64 = 0, stubSyscalls: UInt64 = 0)
    case write(handle: Int32, buffer: GuestRange, offset: Int64)
    case read(handle: Int32, buffer: GuestRange, offset: Int64)
    case writeUser(handle: Int32, span: UserSpan, offset: Int64)
    case readUser(handle: Int32, span: UserSpan, offset: Int64)
    /// An absolute guest path (bytes, no NUL).
    case open(path: [UInt8], flags: Int32, mode: UInt32)
    case close(handle: Int32)
    case seek(handle: Int32, offset: Int64, whence: Int32)
    case status(handle: Int32, destination: GuestRange)
    /// A path operation; `buffer` is its input or output (nil when the block names none).
    case path(HostFileTable.PathRequest, buffer: GuestRange?)
    /// An operation on an open handle.
    case file(handle: Int32, operation: UInt32, buffer: GuestRange?, value: Int64)
    /// Write out the kernel's pending write-behind bytes (uk_pending_write) and clear them.
    case flushPendingWrite
    case terminalControl(handle: Int32, request: UInt32, flags: UInt32, argument: GuestRange)
    case crash(GuestCrash)
    case panic(message: String)
    case trace(SyscallRecord)
    /// Nothing to run: park the vCPU for at most this long (nil: until an event).
    case idle(timeoutNanoseconds: UInt64?)
    /// Inject the tick (UK_TIMER_VECTOR) after this interval; 0 disarms.
    case armTimer(intervalNanoseconds: UInt64)
    /// Run vCPU `cpu` from this state.
    case startCPU(cpu: Int, rip: UInt64, rsp: UInt64, rdi: UInt64)
    /// Interrupt these vCPUs (bit n = vCPU n) with UK_TIMER_VECTOR.
    case kick(cpus: UInt64)
    /// A process operation: fork, wait, kill, pipe (uk_process_op).
    case process(ProcessRequest)
}

/// A decoded UK_HC_PROCESS block.
public struct ProcessRequest: Equatable, Sendable {
    public var operation: UInt32
    public var flags: UInt32
    public var arguments: [Int64]
    /// The output buffer, already bounds-checked (nil when the block names none).
    public var buffer: GuestRange?
}

/// Why a hypercall could not be decoded. The guest is answered with `errno`
/// when its parameter block is readable; otherwise the call is dropped.
public enum HypercallError: Error, Equatable, CustomStringConvertible {
    /// No hypercall listens on this port.
    case unknownPort(UInt16)
    /// The access was not the 32-bit `out` or 64-bit store the protocol uses.
    case wrongAccessSize(port: UInt16, size: UInt8)
    /// The parameter block lies outside guest memory.
    case blockOutOfBounds(port: UInt16, address: UInt64)
    /// A buffer named in the block lies outside guest memory; answered with EFAULT.
    case bufferOutOfBounds(port: UInt16, address: UInt64, length: UInt64)
    /// A path is longer than PATH_MAX; answered with ENAMETOOLONG.
    case pathTooLong(length: UInt64)
    /// A path is not NUL-terminated where its length says; answered with EFAULT.
    case malformedPath(address: UInt64)

    public var description: String {
        let hex = { (v: UInt64) in "0x" + String(v, radix: 16) }
        switch self {
        case let .unknownPort(port): return "hypercall on unknown port \(hex(UInt64(port)))"
        case let .wrongAccessSize(port, size): return "hypercall \(hex(UInt64(port))) with a \(size)-byte access (expected a 4-byte out or an 8-byte store)"
        case let .blockOutOfBounds(port, address): return "hypercall \(hex(UInt64(port))) parameter block \(hex(address)) outside guest memory"
        case let .bufferOutOfBounds(port, address, length): return "hypercall \(hex(UInt64(port))) buffer \(hex(address))+\(hex(length)) outside guest memory"
        case let .pathTooLong(length): return "hypercall path of \(length) bytes exceeds PATH_MAX"
        case let .malformedPath(address): return "hypercall path at \(hex(address)) is not NUL-terminated"
        }
    }

    /// The Linux errno the guest receives, when it can receive one.
    var errno: Int64? {
        switch self {
        case .bufferOutOfBounds, .malformedPath: return 14 // EFAULT
        case .pathTooLong: return 36 // ENAMETOOLONG
        case .unknownPort, .wrongAccessSize, .blockOutOfBounds: return nil
        }
    }
}

/// A decoded hypercall and where its result goes.
public struct DecodedHypercall: Equatable, Sendable {
    public var call: Hypercall
    /// Guest-physical address of the block's `result` field; nil for calls that never return.
    public var resultAddress: UInt64?
}

extension Hypercall {
    /// The longest path the guest may pass (Linux PATH_MAX, including the NUL).
    public static let pathMax: UInt64 = 4096

    /// Decodes a store of `data` to the hypercall page at guest-physical `address`.
    public static func decode(
        mmioAddress address: UInt64, length: UInt32, data: UInt64, memory: GuestMemory
    ) throws(HypercallFault) -> DecodedHypercall {
        let offset = address &- UK_HYPERCALL_MMIO_PHYS
        let port = UInt16(truncatingIfNeeded: UInt64(UK_HC_EXIT.rawValue) &+ offset / 8)
        guard offset < 0x1000, offset % 8 == 0 else { throw HypercallError.unknownPort(port).unanswerable }
        guard length == 8 else { throw HypercallError.wrongAccessSize(port: port, size: UInt8(truncatingIfNeeded: length)).unanswerable }
        return try decode(port: port, block: data, memory: memory)
    }

    /// Whether a guest-physical address lies in the hypercall page.
    public static func isHypercallAddress(_ address: UInt64) -> Bool {
        address >= UK_HYPERCALL_MMIO_PHYS && address - UK_HYPERCALL_MMIO_PHYS < BootPageTables.twoMiB
    }

    /// Decodes hypercall `port` whose parameter block is at guest-physical `block`.
    static func decode(port: UInt16, block: UInt64, memory: GuestMemory) throws(HypercallFault) -> DecodedHypercall {

        func load<T: BitwiseCopyable>(_ type: T.Type) throws(HypercallFault) -> T {
            do { return try memory.load(type, at: block) } catch {
                throw HypercallError.blockOutOfBounds(port: port, address: block).unanswerable
            }
        }
        func range(_ address: UInt64, _ length: UInt64) throws(HypercallError) -> GuestRange {
            do { try memory.check(address, length: length) } catch {
                throw .bufferOutOfBounds(port: port, address: address, length: length)
            }
            return GuestRange(address: address, length: length)
        }
        func result<T>(_ type: T.Type, _ field: PartialKeyPath<T>) -> UInt64 {
            block + UInt64(MemoryLayout<T>.offset(of: field)!)
        }

        switch UInt32(port) {
        case UK_HC_EXIT.rawValue:
            let p = try load(uk_hc_exit.self)
            return DecodedHypercall(call: .exit(status: p.status, patchedSyscallSites: p.patched_sites, signal: p.signal,
                                                trappedSyscalls: p.trapped_syscalls, stubSyscalls: p.stub_syscalls), resultAddress: nil)
        case UK_HC_WRITE.rawValue, UK_HC_READ.rawValue:
            let p = try load(uk_hc_io.self)
            let at = result(uk_hc_io.self, \uk_hc_io.result)
            let buffer: GuestRange
            do { buffer = try range(p.buf_phys, p.len) } catch { throw error.answered(at: at) }
            let call: Hypercall = UInt32(port) == UK_HC_WRITE.rawValue
                ? .write(handle: p.handle, buffer: buffer, offset: p.offset)
                : .read(handle: p.handle, buffer: buffer, offset: p.offset)
            return DecodedHypercall(call: call, resultAddress: at)
        case UK_HC_WRITE_USER.rawValue, UK_HC_READ_USER.rawValue:
            let p = try load(uk_hc_user_io.self)
            let span = UserSpan(root: p.cr3, address: p.address, length: p.len)
            let call: Hypercall = UInt32(port) == UK_HC_WRITE_USER.rawValue
                ? .writeUser(handle: p.handle, span: span, offset: p.offset)
                : .readUser(handle: p.handle, span: span, offset: p.offset)
            return DecodedHypercall(call: call, resultAddress: result(uk_hc_user_io.self, \uk_hc_user_io.result))
        case UK_HC_OPEN.rawValue:
            let p = try load(uk_hc_open.self)
            let at = result(uk_hc_open.self, \uk_hc_open.result)
            guard p.path_len < pathMax else { throw HypercallError.pathTooLong(length: p.path_len).answered(at: at) }
            let path: [UInt8]
            do { path = try memory.readString(at: p.path_phys, length: p.path_len) } catch {
                throw HypercallError.malformedPath(address: p.path_phys).answered(at: at)
            }
            return DecodedHypercall(call: .open(path: path, flags: p.flags, mode: p.mode), resultAddress: at)
        case UK_HC_PATH.rawValue:
            let p = try load(uk_hc_path.self)
            let at = result(uk_hc_path.self, \uk_hc_path.result)
            func string(_ address: UInt64, _ length: UInt64) throws(HypercallFault) -> [UInt8] {
                guard length < pathMax else { throw HypercallError.pathTooLong(length: length).answered(at: at) }
                do { return try memory.readString(at: address, length: length) } catch {
                    throw HypercallError.malformedPath(address: address).answered(at: at)
                }
            }
            let path = try string(p.path_phys, p.path_len)
            let path2 = p.path2_len > 0 || p.path2_phys != 0 ? try string(p.path2_phys, p.path2_len) : []
            var buffer: GuestRange?
            if p.buf_len > 0 {
                do { buffer = try range(p.buf_phys, p.buf_len) } catch { throw error.answered(at: at) }
            }
            let request = HostFileTable.PathRequest(operation: p.op, flags: p.flags, path: path, path2: path2,
                                                    mode: p.mode, value: p.value)
            return DecodedHypercall(call: .path(request, buffer: buffer), resultAddress: at)
        case UK_HC_FLUSH.rawValue:
            return DecodedHypercall(call: .flushPendingWrite, resultAddress: result(uk_hc_flush.self, \uk_hc_flush.result))
        case UK_HC_FILE.rawValue:
            let p = try load(uk_hc_file.self)
            let at = result(uk_hc_file.self, \uk_hc_file.result)
            var buffer: GuestRange?
            if p.buf_len > 0 {
                do { buffer = try range(p.buf_phys, p.buf_len) } catch { throw error.answered(at: at) }
            }
            return DecodedHypercall(call: .file(handle: p.handle, operation: p.op, buffer: buffer, value: p.value), resultAddress: at)
        case UK_HC_CLOSE.rawValue:
            let p = try load(uk_hc_close.self)
            return DecodedHypercall(call: .close(handle: p.handle), resultAddress: result(uk_hc_close.self, \uk_hc_close.result))
        case UK_HC_LSEEK.rawValue:
            let p = try load(uk_hc_lseek.self)
            return DecodedHypercall(call: .seek(handle: p.handle, offset: p.offset, whence: p.whence),
                                    resultAddress: result(uk_hc_lseek.self, \uk_hc_lseek.result))
        case UK_HC_FSTAT.rawValue:
            let p = try load(uk_hc_fstat.self)
            let at = result(uk_hc_fstat.self, \uk_hc_fstat.result)
            let destination: GuestRange
            do { destination = try range(p.stat_phys, HostFileTable.linuxStatSize) } catch { throw error.answered(at: at) }
            return DecodedHypercall(call: .status(handle: p.handle, destination: destination), resultAddress: at)
        case UK_HC_IOCTL.rawValue:
            let p = try load(uk_hc_ioctl.self)
            let at = result(uk_hc_ioctl.self, \uk_hc_ioctl.result)
            let argument: GuestRange
            do { argument = try range(p.arg_phys, p.arg_len) } catch { throw error.answered(at: at) }
            return DecodedHypercall(call: .terminalControl(handle: p.handle, request: p.request, flags: p.flags, argument: argument),
                                    resultAddress: at)
        case UK_HC_CRASH.rawValue:
            let p = try load(uk_hc_crash.self)
            let crash = GuestCrash(vector: p.vector, errorCode: p.has_error_code != 0 ? p.error_code : nil, registers: p.regs)
            return DecodedHypercall(call: .crash(crash), resultAddress: nil)
        case UK_HC_PANIC.rawValue:
            let p = try load(uk_hc_panic.self)
            let length = min(p.message_len, 1024)
            let bytes = (try? memory.read(at: p.message_phys, length: length)) ?? Array("(unreadable panic message)".utf8)
            return DecodedHypercall(call: .panic(message: String(decoding: bytes, as: UTF8.self)), resultAddress: nil)
        case UK_HC_TRACE.rawValue:
            let p = try load(uk_hc_trace.self)
            let a = p.args
            let record = SyscallRecord(number: p.number, arguments: [a.0, a.1, a.2, a.3, a.4, a.5], result: p.result)
            return DecodedHypercall(call: .trace(record), resultAddress: nil)
        case UK_HC_IDLE.rawValue:
            let p = try load(uk_hc_idle.self)
            return DecodedHypercall(call: .idle(timeoutNanoseconds: p.timeout_ns == UInt64.max ? nil : p.timeout_ns),
                                    resultAddress: result(uk_hc_idle.self, \uk_hc_idle.result))
        case UK_HC_TIMER.rawValue:
            let p = try load(uk_hc_timer.self)
            return DecodedHypercall(call: .armTimer(intervalNanoseconds: p.interval_ns),
                                    resultAddress: result(uk_hc_timer.self, \uk_hc_timer.result))
        case UK_HC_START_CPU.rawValue:
            let p = try load(uk_hc_start_cpu.self)
            return DecodedHypercall(call: .startCPU(cpu: Int(p.cpu), rip: p.rip, rsp: p.rsp, rdi: p.rdi),
                                    resultAddress: result(uk_hc_start_cpu.self, \uk_hc_start_cpu.result))
        case UK_HC_KICK.rawValue:
            let p = try load(uk_hc_kick.self)
            return DecodedHypercall(call: .kick(cpus: p.cpus), resultAddress: result(uk_hc_kick.self, \uk_hc_kick.result))
        case UK_HC_PROCESS.rawValue:
            let p = try load(uk_hc_process.self)
            let at = result(uk_hc_process.self, \uk_hc_process.result)
            var buffer: GuestRange?
            if p.buf_len > 0 {
                do { buffer = try range(p.buf_phys, p.buf_len) } catch { throw error.answered(at: at) }
            }
            let request = ProcessRequest(operation: p.op, flags: p.flags, arguments: [p.arg0, p.arg1, p.arg2], buffer: buffer)
            return DecodedHypercall(call: .process(request), resultAddress: at)
        default:
            throw HypercallError.unknownPort(port).unanswerable
        }
    }
}

/// A hypercall that could not be decoded, and where its errno goes if the
/// guest can be answered at all (nil when even the parameter block is unusable).
public struct HypercallFault: Error, Equatable, CustomStringConvertible {
    public var error: HypercallError
    public var resultAddress: UInt64?

    public var description: String { error.description }
}

extension HypercallError {
    /// This error, answered through the `result` field at `resultAddress`.
    func answered(at resultAddress: UInt64) -> HypercallFault {
        HypercallFault(error: self, resultAddress: resultAddress)
    }

    /// This error, with nowhere to put an answer.
    var unanswerable: HypercallFault { HypercallFault(error: self, resultAddress: nil) }
}
