import UnikernelABI

/// Turns the application's hot `syscall` sites into plain jumps to the kernel.
///
/// On this platform every `syscall` instruction leaves the guest (about 1.5 µs), while the
/// kernel itself runs natively at CPL3 next to the application: a jump into the kernel's
/// syscall entry costs a few nanoseconds. So, like HermiTux's binary rewriting and gVisor's
/// syscall patching, a site that has trapped `threshold` times is rewritten in place, when
/// its bytes prove what it does. SyscallSiteDecoder decodes the instructions that end right
/// before the `syscall` (moves, loads, `lea`, ALU operations, `cmp` + `jcc`: the shapes
/// glibc, musl and Go emit) and checks that the registers and memory at the trap hold what
/// the first of them left; its plan has one of two forms:
///
/// - the first moved instruction is at least 5 bytes long (`mov $imm32, %eax` = `b8 imm32`,
///   `mov 0x8(%rsp), %r9` = `4c 8b 4c 24 08`, `cmpb $0, x(%rip)` + `je` + `xor %eax, %eax`,
///   ...): its first 5 bytes become `jmp rel32` to a stub; every later instruction and the
///   `syscall` keep their bytes, so code that jumps to any of them (a loop, the other arm
///   of a branch, a thread preempted between them) runs the original code and makes a real
///   (trapping) syscall. Nothing jumps into the middle of the first instruction.
/// - a single 3-byte instruction (`mov %reg, %reg2` = REX.W 89 /r, `mov %r9d, %eax` =
///   `44 89 c8`, `xor %r10d, %r10d`, ...): the 5 bytes become `jmp rel32`, with the stub
///   placed so that the displacement's two high bytes, where the `syscall` was, read `0f ff`
///   (UD0). Code that jumps straight to the old `syscall` (or a thread that ran the
///   instruction and was interrupted before the `syscall`) raises #UD there, and
///   `resumeMovedSyscall` sends it into the stub past the moved instruction: the call
///   still happens, with the caller's registers.
///
/// A stub (64 bytes, in pages the kernel maps at `UK_SYSCALL_STUB_WINDOW`, the top 16 MiB)
/// repeats the moved instructions (rip-relative operands and conditional jumps rebased to
/// the same targets; none writes rcx, r11 or rsp, and the stub pushes nothing, so
/// stack-relative operands read what they read at the site), sets rcx to the address after
/// the site's `syscall` and jumps through r11 to `uk_syscall_stub_entry`, which builds the
/// same frame as a trap: rcx, r11, the stack and every other register end as SYSCALL and
/// SYSRET leave them. The rewrite runs under the kernel lock and writes int3 first, then
/// the displacement, then the opcode (`writeJump`), so a thread on another vCPU meets the
/// old bytes, an int3 or UD0 (served once the lock is free, when the stub exists), or the
/// whole jump. Only sites in executable pages below `siteLimit` are candidates (a
/// `jmp rel32` must reach the window); static-PIE programs loaded high keep trapping, and
/// the register-move form needs a site below ~15 MiB (the UD0 displacement must land in
/// the window). The runner's `--no-syscall-patching` turns all of this off. On hardware
/// KVM nothing is rewritten (Platform.rewritesSyscallSites): `syscall` enters the kernel
/// at CPL0 without leaving the guest.
enum SyscallPatcher {
    /// Traps from one site before it is rewritten (a cold site is not worth a stub).
    static let threshold: UInt32 = 16
    /// A site that keeps trapping is looked at again after 2, 4, ... times `threshold` traps
    /// (up to this many): the registers may prove more then, and a rewritten site may still
    /// trap when a jump lands inside its moved instructions (a loop's head), which a rewrite
    /// starting after that point serves.
    static let lastRetry: UInt32 = 16 << 10
    /// Sites at or above this address are never rewritten (rel32 reach of the window).
    static let siteLimit: UInt64 = 0x7E00_0000
    static let stubSize: UInt64 = 64
    /// The stub's tail after the moved instructions: movabs rcx, movabs r11, jmp *r11.
    static let stubTailSize = 23
    static let maximumStubs = 2048
    /// Where a register-move site's stub must start, relative to the site's end:
    /// rel32 = 0xff0f_xxxx puts the bytes `0f ff` (UD0) where the `syscall` was.
    static let movedSyscallDisplacementHigh: UInt32 = 0xFF0F

    static var enabled = false

    /// Syscalls of this process that entered by trapping (the `syscall` instruction; on
    /// kvm-pvm an exit each) and through a rewritten site's stub; the exit hypercall reports both.
    private(set) static var trappedCalls: UInt64 = 0
    private(set) static var stubCalls: UInt64 = 0

    /// Counts one syscall entry (called under the kernel lock).
    static func noteEntry(viaStub: Bool) {
        if viaStub { stubCalls &+= 1 } else { trappedCalls &+= 1 }
    }

    /// One rewritten site.
    struct Stub {
        /// The address after the site's `syscall` (where the call returns).
        var returnAddress: UInt64
        /// The first byte of the site the jump overwrote.
        var start: UInt64
        var address: UInt64
        /// Bytes of the moved instructions at the start of the stub (where the call itself starts).
        var callOffset: UInt64
        /// Whether the `syscall` itself was overwritten (the register-move form).
        var coversSyscall: Bool
    }

    private(set) static var stubs: [Stub] = []

    private struct Counter {
        var returnAddress: UInt64
        var count: UInt32
    }

    /// Trap counts by return address: open addressing, no removal; when full, no new site is counted.
    private static var counters: [Counter] = []
    private static let counterSlots = 1024

    static func enable() {
        counters = [Counter](repeating: Counter(returnAddress: 0, count: 0), count: counterSlots)
        enabled = true
    }

    /// Called for every syscall that trapped (not one that came through a stub), before it runs.
    static func noteTrap(_ frame: SyscallFrame) {
        let returnAddress = frame.rip
        guard enabled, returnAddress >= 0x1000 + 7, returnAddress < siteLimit else { return }
        var slot = Int((returnAddress &* 0x9E37_79B9_7F4A_7C15) >> 54) & (counterSlots - 1)
        for _ in 0..<counterSlots {
            if counters[slot].returnAddress == returnAddress {
                counters[slot].count &+= 1
                let count = counters[slot].count
                if count >= threshold, count <= lastRetry, count & (count - 1) == 0 { patch(returnAddress: returnAddress, frame) }
                return
            }
            if counters[slot].returnAddress == 0 {
                counters[slot] = Counter(returnAddress: returnAddress, count: 1)
                return
            }
            slot = (slot + 1) & (counterSlots - 1)
        }
    }

    /// Where a call that returns to `returnAddress` starts again (a restarted syscall, RAX set
    /// back to the number by the caller): its stub just past the moved instructions, whose
    /// effects the registers and memory still hold (repeating them could read an RCX the call
    /// overwrote), or the trapping `syscall` itself. Every stub of one site has the same tail.
    static func restartAddress(returningTo returnAddress: UInt64, viaStub: Bool) -> UInt64 {
        if viaStub, let stub = stubs.first(where: { $0.returnAddress == returnAddress }) { return stub.address + stub.callOffset }
        return returnAddress &- 2
    }

    /// The stub to resume in when #UD hit the overwritten `syscall` of a register-move site:
    /// past the stub's moved instruction, so the call runs with the caller's registers.
    static func resumeMovedSyscall(at rip: UInt64) -> UInt64? {
        for stub in stubs where stub.coversSyscall && stub.returnAddress &- 2 == rip {
            return stub.address + stub.callOffset
        }
        return nil
    }

    // MARK: Rewriting

    private static func patch(returnAddress: UInt64, _ frame: SyscallFrame) {
        let syscallAddress = returnAddress - 2
        guard stubs.count < maximumStubs, code(at: syscallAddress, count: 2) == [0x0F, 0x05] else { return }
        // As many bytes before the `syscall` as the decoder looks at, from code pages only.
        var available = 0
        while available < SyscallSiteDecoder.maximumChainBytes, syscallAddress - UInt64(available + 1) >= 0x1000,
              codePointer(syscallAddress - UInt64(available + 1)) != nil {
            available += 1
        }
        // A site rewritten before: only a start after the earlier one (a second jump into the same stub path).
        // Its jump covers 5 bytes from its start, which a new start must not lie in.
        let earlier = stubs.filter { $0.returnAddress == returnAddress }.map { $0.start + 4 }.max() ?? 0
        guard !stubs.contains(where: { $0.returnAddress == returnAddress && $0.coversSyscall }),
              available >= 3, let bytes = code(at: syscallAddress - UInt64(available), count: available),
              let plan = SyscallSiteDecoder.plan(before: syscallAddress, bytes: bytes, registers: registers(frame), after: earlier,
                                                 coveringSyscall: stubAddress(site: syscallAddress - 3, coversSyscall: true) != nil,
                                                 load: applicationValue) else { return }
        install(plan, returnAddress: returnAddress)
    }

    /// The registers before the `syscall`, by number (rcx and r11 were overwritten by it: unknown).
    private static func registers(_ f: SyscallFrame) -> [UInt64?] {
        [f.rax, nil, f.rdx, f.rbx, f.rsp, f.rbp, f.rsi, f.rdi, f.r8, f.r9, f.r10, nil, f.r12, f.r13, f.r14, f.r15]
    }

    /// `size` (1, 4 or 8) bytes of application memory at `address`, zero-extended; nil when unreadable.
    private static func applicationValue(at address: UInt64, size: Int) -> UInt64? {
        do throws(Errno) {
            switch size {
            case 1: return UInt64(try UserMemory.load(UInt8.self, from: address))
            case 4: return UInt64(try UserMemory.load(UInt32.self, from: address))
            case 8: return try UserMemory.load(UInt64.self, from: address)
            default: return nil
            }
        } catch {
            return nil
        }
    }

    private static func install(_ plan: SyscallSiteDecoder.Plan, returnAddress: UInt64) {
        guard let address = stubAddress(site: plan.start, coversSyscall: plan.coversSyscall),
              let moved = plan.relocated(at: address), moved.count + stubTailSize <= Int(stubSize),
              mapStubPage(address) else { return }
        var stub = moved
        stub += [0x48, 0xB9] + littleEndian(returnAddress)                     // movabs $return, %rcx
        stub += [0x49, 0xBB] + littleEndian(uk_syscall_stub_entry_address())   // movabs $entry, %r11
        stub += [0x41, 0xFF, 0xE3]                                             // jmp *%r11
        guard let frame = currentProcess.addressSpace.mapper.lookup(address)?.frame else { return }
        let target = DirectMap.pointer(frame + (address & (UK_PAGE_SIZE - 1)))
        // SAFETY: a 64-byte slot, aligned to its size, inside the window page just mapped (the
        // stub is at most `stubSize` bytes); no thread runs it before the jump below exists.
        for (index, byte) in stub.enumerated() { target.storeBytes(of: byte, toByteOffset: index, as: UInt8.self) }
        guard writeJump(site: plan.start, to: address) else { return }
        stubs.append(Stub(returnAddress: returnAddress, start: plan.start, address: address,
                          callOffset: UInt64(moved.count), coversSyscall: plan.coversSyscall))
    }

    /// A free 64-byte slot in the window that `jmp rel32` at `site` reaches; for a
    /// register-move site, one whose displacement has the high half `0xff0f`.
    private static func stubAddress(site: UInt64, coversSyscall: Bool) -> UInt64? {
        let next = site &+ 5
        var candidate: UInt64
        let last: UInt64
        if coversSyscall {
            let lowest = next &+ UInt64(bitPattern: Int64(Int32(bitPattern: movedSyscallDisplacementHigh << 16)))
            guard lowest >= UK_SYSCALL_STUB_WINDOW, lowest <= UInt64.max - 0xFFFF - stubSize else { return nil }
            candidate = (lowest + stubSize - 1) & ~(stubSize - 1)
            last = lowest + 0xFFFF
        } else {
            candidate = UK_SYSCALL_STUB_WINDOW
            last = UInt64.max - stubSize + 1
        }
        while candidate <= last {
            let displacement = Int64(bitPattern: candidate &- next)
            guard displacement >= Int64(Int32.min), displacement <= Int64(Int32.max) else { return nil }
            if !stubs.contains(where: { $0.address == candidate }) { return candidate }
            candidate += stubSize
        }
        return nil
    }

    /// Maps (read + execute, filled with int3) the window page holding `address`, if not yet mapped.
    private static func mapStubPage(_ address: UInt64) -> Bool {
        let page = address & ~(UK_PAGE_SIZE - 1)
        let mapper = currentProcess.addressSpace.mapper
        if mapper.lookup(page) != nil { return true }
        guard let frame = Frames.allocate() else { return false }
        // SAFETY: a fresh frame, reached through the direct map.
        DirectMap.pointer(frame).initializeMemory(as: UInt8.self, repeating: 0xCC, count: Int(UK_PAGE_SIZE))
        return mapper.map(page, to: frame, Protection(bits: 5))
    }

    /// Writes `jmp rel32` to `target` over the 5 bytes at `site`.
    private static func writeJump(site: UInt64, to target: UInt64) -> Bool {
        let displacement = UInt32(truncatingIfNeeded: target &- (site &+ 5))
        let jump: [UInt8] = [0xE9, UInt8(truncatingIfNeeded: displacement), UInt8(truncatingIfNeeded: displacement >> 8),
                             UInt8(truncatingIfNeeded: displacement >> 16), UInt8(truncatingIfNeeded: displacement >> 24)]
        // Resolve both pages first: a site may straddle two.
        var targets: [UnsafeMutableRawPointer] = []
        for index in 0..<5 {
            guard let pointer = codePointer(site + UInt64(index)) else { return false }
            targets.append(pointer)
        }
        // As Linux's text_poke_bp: int3 over the first byte, then the displacement, then the
        // opcode, so another vCPU running the site meets the old instruction, an int3 (which
        // resumePatchedSite turns into the jump), or the whole jump, never a torn mix.
        targets[0].storeBytes(of: 0xCC, as: UInt8.self)
        for index in (1..<5).reversed() { targets[index].storeBytes(of: jump[index], as: UInt8.self) }
        targets[0].storeBytes(of: jump[0], as: UInt8.self)
        return true
    }

    /// For a #BP whose RIP is `address` (after an int3 at address - 1): the site's address when
    /// that byte is now a rewritten site's jump (another vCPU patched it meanwhile), else nil.
    static func resumePatchedSite(breakpointAfter address: UInt64) -> UInt64? {
        let site = address &- 1
        guard let pointer = codePointer(site), pointer.load(as: UInt8.self) == 0xE9 else { return nil }
        return site
    }

    /// `count` bytes of application code at `address`, when every one is in a present,
    /// executable and read-only user page (code the program can rewrite itself, a JIT's, is left alone).
    private static func code(at address: UInt64, count: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        for index in 0..<count {
            guard let pointer = codePointer(address + UInt64(index)) else { return nil }
            bytes.append(pointer.load(as: UInt8.self))
        }
        return bytes
    }

    private static func codePointer(_ address: UInt64) -> UnsafeMutableRawPointer? {
        guard let (frame, entry) = currentProcess.addressSpace.mapper.lookup(address & ~(UK_PAGE_SIZE - 1)),
              entry & PageMapper.present != 0, entry & PageMapper.user != 0, entry & PageMapper.noExecute == 0,
              entry & PageMapper.writable == 0 else {
            return nil
        }
        // SAFETY: the frame is mapped at `address`'s page; we stay inside it.
        return DirectMap.pointer(frame + (address & (UK_PAGE_SIZE - 1)))
    }

    private static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}

@_extern(c, "uk_syscall_stub_entry_address") func uk_syscall_stub_entry_address() -> UInt64
