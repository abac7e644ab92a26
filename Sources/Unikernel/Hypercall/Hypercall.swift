import UnikernelABI

/// Typed wrappers around the host's hypercalls. Each call writes its
/// parameter block into this vCPU's hypercall area (in its CPU-local page),
/// stores the block's guest-physical address to the call's slot in the
/// hypercall page (an MMIO exit, at CPL0 or CPL3), and reads the block back
/// for the host's `result`.
enum Hypercall {
    private static func perform<Block>(_ port: uk_hypercall_port, _ block: Block) -> Block {
        // Buffered file I/O reaches the host first, so it sees every earlier call's effect.
        HostFileBuffer.settle()
        return performControl(port, block)
    }

    /// A call that controls the vCPU (idle, tick, kick, start): it touches no file state, so
    /// it may run without the kernel lock (the idle vCPU's) and leaves the write-behind buffer alone.
    private static func performControl<Block>(_ port: uk_hypercall_port, _ block: Block) -> Block {
        // SAFETY: the area is 2 KiB of this vCPU's own page, larger than every parameter
        // block; a vCPU makes one call at a time.
        let area = CPULocal.hypercallArea.assumingMemoryBound(to: Block.self)
        area.pointee = block
        CPU.hypercall(port: port.rawValue, block: CPULocal.hypercallAreaPhysical)
        return area.pointee
    }

    static func exit(status: Int32) -> Never {
        _ = perform(UK_HC_EXIT, exitBlock(status: status, signal: 0))
        CPU.haltForever()
    }

    /// The exit hypercall's block: the status and what the process's syscall entries were.
    private static func exitBlock(status: Int32, signal: Int32) -> uk_hc_exit {
        uk_hc_exit(status: status, patched_sites: UInt32(truncatingIfNeeded: SyscallPatcher.stubs.count), signal: signal, reserved: 0,
                   trapped_syscalls: SyscallPatcher.trappedCalls, stub_syscalls: SyscallPatcher.stubCalls)
    }

    /// Ends the process as killed by `signal` (its parent sees WIFSIGNALED; a top-level run
    /// exits with 128 + signal).
    static func exit(killedBy signal: Int) -> Never {
        _ = perform(UK_HC_EXIT, exitBlock(status: Int32(128 + signal), signal: Int32(signal)))
        CPU.haltForever()
    }

    /// More RAM, at least `bytes` after its current end (UK_PROC_GROW_MEMORY): the new end of
    /// RAM, or -ENOMEM. It touches no file state, so it leaves the write-behind buffer alone:
    /// a frame may be needed while that buffer is half filled (a fault on the user page it
    /// copies from).
    static func growMemory(atLeast bytes: UInt64) -> Int64 {
        var block = uk_hc_process()
        block.op = UK_PROC_GROW_MEMORY.rawValue
        block.arg0 = Int64(bitPattern: bytes)
        return performControl(UK_HC_PROCESS, block).result
    }

    /// A process operation (fork, wait, kill, pipe); `buffer` is the bounce buffer's data area
    /// when `dataLength` > 0.
    /// `bufferPhysical` names another buffer instead (a caller that releases the kernel lock
    /// during the call, when another vCPU may use the bounce buffer).
    static func process(_ operation: uk_process_op, _ arg0: Int64 = 0, _ arg1: Int64 = 0, _ arg2: Int64 = 0,
                        flags: UInt32 = 0, dataLength: Int = 0, bufferPhysical: UInt64? = nil) -> Int64 {
        var block = uk_hc_process()
        block.op = operation.rawValue
        block.flags = flags
        block.arg0 = arg0
        block.arg1 = arg1
        block.arg2 = arg2
        if dataLength > 0 {
            block.buf_phys = bufferPhysical ?? BounceBuffer.physical + UInt64(BounceBuffer.dataOffset)
            block.buf_len = UInt64(dataLength)
        }
        return perform(UK_HC_PROCESS, block).result
    }

    static func write(handle: Int32, bufferPhysical: UInt64, length: Int, offset: Int64 = -1) -> Int64 {
        perform(UK_HC_WRITE, uk_hc_io(handle: handle, reserved: 0, buf_phys: bufferPhysical,
                                       len: UInt64(length), offset: offset, result: 0)).result
    }

    static func read(handle: Int32, bufferPhysical: UInt64, length: Int, offset: Int64 = -1) -> Int64 {
        perform(UK_HC_READ, uk_hc_io(handle: handle, reserved: 0, buf_phys: bufferPhysical,
                                      len: UInt64(length), offset: offset, result: 0)).result
    }

    static func open(pathPhysical: UInt64, pathLength: Int, flags: Int32, mode: UInt32) -> Int64 {
        perform(UK_HC_OPEN, uk_hc_open(path_phys: pathPhysical, path_len: UInt64(pathLength),
                                        flags: flags, mode: mode, result: 0)).result
    }

    /// Has the host write out the pending write-behind bytes (uk_pending_write) and clear them.
    static func flushPendingWrite() -> Int64 {
        perform(UK_HC_FLUSH, uk_hc_flush(result: 0)).result
    }

    static func close(handle: Int32) -> Int64 {
        HostFileBuffer.forget(handle)
        return perform(UK_HC_CLOSE, uk_hc_close(handle: handle, reserved: 0, result: 0)).result
    }

    static func seek(handle: Int32, offset: Int64, whence: Int32) -> Int64 {
        perform(UK_HC_LSEEK, uk_hc_lseek(handle: handle, whence: whence, offset: offset, result: 0)).result
    }

    static func fstat(handle: Int32, statPhysical: UInt64) -> Int64 {
        perform(UK_HC_FSTAT, uk_hc_fstat(handle: handle, reserved: 0, stat_phys: statPhysical, result: 0)).result
    }

    static func ioctl(handle: Int32, request: UInt32, argumentPhysical: UInt64, length: Int, flags: UInt32 = 0) -> Int64 {
        perform(UK_HC_IOCTL, uk_hc_ioctl(handle: handle, request: request, arg_phys: argumentPhysical,
                                          arg_len: UInt64(length), flags: flags, reserved: 0, result: 0)).result
    }

    /// read/write straight between a host handle and application memory: the
    /// host walks the page tables, so nothing is copied here. The range must
    /// be populated (and writable for reads) beforehand.
    static func transferUser(handle: Int32, address: UInt64, length: Int, offset: Int64, write: Bool) -> Int64 {
        perform(write ? UK_HC_WRITE_USER : UK_HC_READ_USER,
                uk_hc_user_io(handle: handle, reserved: 0, cr3: CPU.boot.cr3, address: address,
                              len: UInt64(length), offset: offset, result: 0)).result
    }

    /// An operation on absolute guest paths, staged in the bounce buffer:
    /// `path` at offset 0, `path2` at `path2Offset`, the data buffer at `dataOffset`.
    static func path(_ operation: uk_path_op, flags: UInt32 = 0, path: [UInt8], path2: [UInt8]? = nil,
                     dataLength: Int = 0, mode: UInt64 = 0, value: Int64 = 0) throws(Errno) -> Int {
        guard path.count < BounceBuffer.pathCapacity, (path2?.count ?? 0) < BounceBuffer.pathCapacity else {
            throw .ENAMETOOLONG
        }
        BounceBuffer.stage(path, at: 0)
        if let path2 { BounceBuffer.stage(path2, at: BounceBuffer.path2Offset) }
        var block = uk_hc_path()
        block.op = operation.rawValue
        block.flags = flags
        block.path_phys = BounceBuffer.physical
        block.path_len = UInt64(path.count)
        if let path2 {
            block.path2_phys = BounceBuffer.physical + UInt64(BounceBuffer.path2Offset)
            block.path2_len = UInt64(path2.count)
        }
        if dataLength > 0 {
            block.buf_phys = BounceBuffer.physical + UInt64(BounceBuffer.dataOffset)
            block.buf_len = UInt64(dataLength)
        }
        block.mode = mode
        block.value = value
        return try Errno.check(perform(UK_HC_PATH, block).result)
    }

    /// An operation on an open host handle; its data buffer is the bounce
    /// buffer's data area.
    static func file(_ operation: uk_file_op, handle: Int32, dataLength: Int = 0, value: Int64 = 0) throws(Errno) -> Int {
        var block = uk_hc_file()
        block.handle = handle
        block.op = operation.rawValue
        if dataLength > 0 {
            block.buf_phys = BounceBuffer.physical + UInt64(BounceBuffer.dataOffset)
            block.buf_len = UInt64(dataLength)
        }
        block.value = value
        return try Errno.check(perform(UK_HC_FILE, block).result)
    }

    /// Parks the vCPU in the host for at most `nanoseconds` (nil: until an event).
    static func idle(nanoseconds: UInt64?) {
        _ = performControl(UK_HC_IDLE, uk_hc_idle(timeout_ns: nanoseconds ?? UInt64.max, result: 0))
    }

    /// Arms the vCPU's tick: UK_TIMER_VECTOR arrives after `nanoseconds` (0 disarms).
    static func armTimer(nanoseconds: UInt64) {
        _ = performControl(UK_HC_TIMER, uk_hc_timer(interval_ns: nanoseconds, result: 0))
    }

    /// Interrupts the vCPUs in `cpus` (bit n = vCPU n) with UK_TIMER_VECTOR; an idle one wakes.
    static func kick(cpus: UInt64) {
        _ = performControl(UK_HC_KICK, uk_hc_kick(cpus: cpus, result: 0))
    }

    /// Starts vCPU `cpu` at `rip` with `stackPointer` and RDI = `argument`; 0 or -errno.
    static func startCPU(_ cpu: Int, rip: UInt64, stackPointer: UInt64, argument: UInt64) -> Int64 {
        performControl(UK_HC_START_CPU, uk_hc_start_cpu(cpu: UInt32(cpu), reserved: 0, rip: rip, rsp: stackPointer,
                                                        rdi: argument, result: 0)).result
    }

    static func trace(number: UInt64, arguments: SyscallArguments, result: Int) {
        var block = uk_hc_trace()
        block.number = number
        block.args = (arguments.values.0, arguments.values.1, arguments.values.2,
                      arguments.values.3, arguments.values.4, arguments.values.5)
        block.result = Int64(result)
        _ = perform(UK_HC_TRACE, block)
    }

    static func crash(_ report: uk_hc_crash) -> Never {
        _ = perform(UK_HC_CRASH, report)
        CPU.haltForever()
    }

    static func panic(physical: UInt64, length: Int) -> Never {
        _ = perform(UK_HC_PANIC, uk_hc_panic(message_phys: physical, message_len: UInt64(length)))
        CPU.haltForever()
    }

    static func panic(_ message: StaticString) -> Never {
        let address = UInt64(UInt(bitPattern: message.utf8Start))
        _ = perform(UK_HC_PANIC, uk_hc_panic(message_phys: DirectMap.physicalOfKernel(address),
                                              message_len: UInt64(message.utf8CodeUnitCount)))
        CPU.haltForever()
    }
}

/// Stops the kernel on an internal error, printing `message` and `value` in hex.
func kernelPanic(_ message: StaticString, value: UInt64) -> Never {
    let buffer = BounceBuffer.pointer
    let count = message.utf8CodeUnitCount
    // SAFETY: the message plus 19 bytes of hex fit in the 64 KiB bounce buffer.
    buffer.copyMemory(from: message.utf8Start, byteCount: count)
    let digits: StaticString = "0123456789abcdef"
    buffer.storeBytes(of: UInt8(ascii: " "), toByteOffset: count, as: UInt8.self)
    buffer.storeBytes(of: UInt8(ascii: "0"), toByteOffset: count + 1, as: UInt8.self)
    buffer.storeBytes(of: UInt8(ascii: "x"), toByteOffset: count + 2, as: UInt8.self)
    for index in 0..<16 {
        let nibble = Int((value >> UInt64(60 - 4 * index)) & 0xF)
        buffer.storeBytes(of: digits.utf8Start[nibble], toByteOffset: count + 3 + index, as: UInt8.self)
    }
    Hypercall.panic(physical: BounceBuffer.physical, length: count + 19)
}

/// Stops the kernel on an internal error: the host prints `message` and exits.
func kernelPanic(_ message: StaticString) -> Never {
    Hypercall.panic(message)
}
