import Testing
@testable import KernelLogic

/// The kernel's plan for rewriting a hot `syscall` site (Sources/Unikernel/Arch/SyscallSiteDecoder.swift),
/// on the byte sequences glibc 2.36, musl 1.2.3 and Go emit before their `syscall`s (from
/// `objdump -d` of static binaries) and on sequences that must keep trapping.
@Suite("Syscall site decoder")
struct SyscallSiteDecoderTests {
    /// Registers at the trap: every known one 0x1000 + its number unless given; rcx and r11 unknown.
    private func registers(_ values: [Int: UInt64] = [:]) -> [UInt64?] {
        var result: [UInt64?] = []
        for number in 0..<16 {
            let fallback: UInt64 = 0x1000 + UInt64(number)
            result.append(number == 1 || number == 11 ? nil : values[number] ?? fallback)
        }
        return result
    }

    /// Plans the site whose `syscall` is at `syscallAddress`, with `bytes` right before it.
    private func plan(_ bytes: [UInt8], syscallAddress: UInt64 = 0x40_1000, _ values: [Int: UInt64] = [:],
                      memory: [UInt64: UInt64] = [:]) -> SyscallSiteDecoder.Plan? {
        // The byte before the bytes given: int3 padding, as between functions.
        SyscallSiteDecoder.plan(before: syscallAddress, bytes: [0xCC] + bytes, registers: registers(values)) { address, _ in memory[address] }
    }

    private static let rax = 0, rdx = 2, rsp = 4, rsi = 6, rdi = 7, r9 = 9, r10 = 10

    @Test("mov $imm32, %eax (b8 imm32): the jump lies in the mov; rax must hold the immediate")
    func immediateToEax() throws {
        let bytes: [UInt8] = [0xB8, 0x6E, 0x00, 0x00, 0x00]  // glibc getppid
        let accepted = try #require(plan(bytes, [Self.rax: 0x6E]))
        #expect(accepted.start == 0x40_1000 - 5 && !accepted.coversSyscall && accepted.instructions.count == 1)
        #expect(plan(bytes, [Self.rax: 0x27]) == nil)
    }

    @Test("Go's mov $imm32, %rax (48 c7 c0 imm32), sign-extended")
    func immediateToRax() throws {
        let accepted = try #require(plan([0x48, 0xC7, 0xC0, 0xE4, 0x00, 0x00, 0x00], [Self.rax: 0xE4]))
        #expect(accepted.start == 0x40_1000 - 7 && !accepted.coversSyscall)
        let negative: [UInt8] = [0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(plan(negative, [Self.rax: UInt64.max])?.start == 0x40_1000 - 7)
        #expect(plan(negative, [Self.rax: 0xFFFF_FFFF]) == nil)
    }

    @Test("a start right after a prefix byte is ambiguous: `41 b8 imm32` is mov to r8d, not eax")
    func prefixBeforeStart() {
        // rax holds the immediate by chance; the instruction really writes r8d.
        #expect(plan([0x41, 0xB8, 0x3C, 0x00, 0x00, 0x00], [Self.rax: 0x3C, 8: 0x3C])?.start == 0x40_1000 - 6)
        #expect(plan([0x41, 0xB8, 0x3C, 0x00, 0x00, 0x00], [Self.rax: 0x3C, 8: 7]) == nil)
    }

    @Test("glibc syscall(): mov 0x8(%rsp), %r9 (4c 8b 4c 24 08) checked against the stack")
    func stackLoad() throws {
        let bytes: [UInt8] = [0x4D, 0x89, 0xC8, 0x4C, 0x8B, 0x4C, 0x24, 0x08]  // mov %r9,%r8; mov 0x8(%rsp),%r9
        let stack: UInt64 = 0x7FFF_0000
        let accepted = try #require(plan(bytes, [Self.rsp: stack, Self.r9: 77], memory: [stack + 8: 77]))
        #expect(accepted.start == 0x40_1000 - 5 && accepted.instructions.map(\.bytes.count) == [5])
        #expect(plan(bytes, [Self.rsp: stack, Self.r9: 77], memory: [stack + 8: 78]) == nil)
    }

    @Test("glibc read, single-threaded: cmpb $0, x(%rip); je; xor %eax, %eax moved, je rebased")
    func comparisonThenXor() throws {
        // 430690: cmpb $0x0,0x749c1(%rip) (-> 0x4a5058); je 4306b0; xor %eax,%eax; syscall at 0x43069b
        let bytes: [UInt8] = [0x80, 0x3D, 0xC1, 0x49, 0x07, 0x00, 0x00, 0x74, 0x17, 0x31, 0xC0]
        let accepted = try #require(plan(bytes, syscallAddress: 0x43_069B, [Self.rax: 0], memory: [0x4A_5058: 1]))
        #expect(accepted.start == 0x43_0690 && accepted.instructions.count == 3 && !accepted.coversSyscall)
        let stub: UInt64 = 0xFFFF_FFFF_FF00_0040
        let code = try #require(accepted.relocated(at: stub))
        #expect(code.count == 7 + 6 + 2)
        // The cmp's displacement now reaches 0x4a5058 from the stub.
        let displacement = Int32(bitPattern: UInt32(code[2]) | UInt32(code[3]) << 8 | UInt32(code[4]) << 16 | UInt32(code[5]) << 24)
        #expect(stub &+ 7 &+ UInt64(bitPattern: Int64(displacement)) == 0x4A_5058 && code[6] == 0)
        // je rel8 became je rel32 (0f 84) to 0x4306b0.
        let jump = Int32(bitPattern: UInt32(code[9]) | UInt32(code[10]) << 8 | UInt32(code[11]) << 16 | UInt32(code[12]) << 24)
        #expect(code[7] == 0x0F && code[8] == 0x84 && stub &+ 13 &+ UInt64(bitPattern: Int64(jump)) == 0x43_06B0)
        #expect(Array(code[13...]) == [0x31, 0xC0])
        // A flag that would have taken the je: the bytes cannot have run this way.
        #expect(plan(bytes, syscallAddress: 0x43_069B, [Self.rax: 0], memory: [0x4A_5058: 0]) == nil)
    }

    @Test("glibc read, cancellable: the chain starts at the nearest provable 5-byte load")
    func cancellableRead() throws {
        let bytes: [UInt8] = [0x48, 0x8B, 0x54, 0x24, 0x18,  // mov 0x18(%rsp),%rdx
                              0x48, 0x8B, 0x74, 0x24, 0x10,  // mov 0x10(%rsp),%rsi
                              0x41, 0x89, 0xC0,              // mov %eax,%r8d
                              0x8B, 0x7C, 0x24, 0x08,        // mov 0x8(%rsp),%edi
                              0x31, 0xC0]                    // xor %eax,%eax
        let stack: UInt64 = 0x7FFF_1000
        let accepted = try #require(plan(bytes, [Self.rsp: stack, Self.rsi: 0x5000, Self.rdx: 9, Self.rax: 0],
                                         memory: [stack + 0x10: 0x5000, stack + 0x18: 9]))
        #expect(accepted.start == 0x40_1000 - 14 && accepted.instructions.map(\.bytes.count) == [5, 3, 4, 2])
    }

    @Test("glibc futex wake: mov $0xca, %eax; xor $0x81, %sil (40 80 f6 81)")
    func futexWake() throws {
        let bytes: [UInt8] = [0xB8, 0xCA, 0x00, 0x00, 0x00, 0x40, 0x80, 0xF6, 0x81]
        let accepted = try #require(plan(bytes, [Self.rax: 0xCA]))
        #expect(accepted.start == 0x40_1000 - 9 && accepted.instructions.count == 2)
        #expect(try #require(accepted.relocated(at: 0xFFFF_FFFF_FF00_0000)) == bytes)
    }

    @Test("register moves of 3 bytes cover the syscall (UD0 form); 32-bit moves compare the low half")
    func threeByteMoves() throws {
        let go = try #require(plan([0x48, 0x89, 0xDF], [3: 0xAB, Self.rdi: 0xAB]))  // mov %rbx,%rdi (Go Syscall6)
        #expect(go.coversSyscall && go.start == 0x40_1000 - 3)
        #expect(plan([0x48, 0x89, 0xDF], [3: 0xAB, Self.rdi: 0xAC]) == nil)
        let glibc = try #require(plan([0x44, 0x89, 0xC8], [Self.r9: 0x1_0000_0003, Self.rax: 3]))  // mov %r9d,%eax
        #expect(glibc.coversSyscall)
        #expect(plan([0x44, 0x89, 0xC8], [Self.r9: 0x1_0000_0003, Self.rax: 0x1_0000_0003]) == nil)
        let same = try #require(plan([0x4D, 0x89, 0xD2]))  // mov %r10,%r10: nothing to compare, nothing changed
        #expect(same.coversSyscall)
    }

    @Test("the nearest provable start wins: a loop's head between a far start and the syscall would keep trapping")
    func nearestStart() throws {
        // mov $0x6e,%esi (before the loop); nopl 0x0(%rax); loop: mov %rsi,%rax; syscall
        let bytes: [UInt8] = [0xBE, 0x6E, 0x00, 0x00, 0x00, 0x0F, 0x1F, 0x40, 0x00, 0x48, 0x89, 0xF0]
        let values = [Self.rsi: 0x6E as UInt64, Self.rax: 0x6E]
        let near = try #require(SyscallSiteDecoder.plan(before: 0x40_1000, bytes: [0xCC] + bytes, registers: registers(values)) { _, _ in nil })
        #expect(near.coversSyscall && near.start == 0x40_1000 - 3)
        // Where the 3-byte form's stub cannot be placed, the far start is what remains.
        let far = try #require(SyscallSiteDecoder.plan(before: 0x40_1000, bytes: [0xCC] + bytes, registers: registers(values),
                                                       coveringSyscall: false) { _, _ in nil })
        #expect(!far.coversSyscall && far.start == 0x40_1000 - 12 && far.instructions.count == 3)
        // After a rewrite at the far start, only later starts count.
        #expect(SyscallSiteDecoder.plan(before: 0x40_1000, bytes: [0xCC] + bytes, registers: registers(values), after: 0x40_1000 - 12 + 4,
                                        coveringSyscall: false) { _, _ in nil } == nil)
    }

    @Test("musl __syscall_cp_c: mov %rcx,%rdx proves nothing alone; the 5-byte stack load before it does")
    func muslCancellable() throws {
        let bytes: [UInt8] = [0x4C, 0x8B, 0x4C, 0x24, 0x08, 0x48, 0x89, 0xCA]
        let stack: UInt64 = 0x7FFF_2000
        let accepted = try #require(plan(bytes, [Self.rsp: stack, Self.r9: 5], memory: [stack + 8: 5]))
        #expect(accepted.start == 0x40_1000 - 8 && !accepted.coversSyscall)
        #expect(plan(Array(bytes[5...]), [Self.rsp: stack]) == nil)
    }

    @Test("musl __clone: the stack load proves the chain, later stores to the new thread's stack included")
    func muslClone() throws {
        let bytes: [UInt8] = [0x4C, 0x8B, 0x54, 0x24, 0x08,  // mov 0x8(%rsp),%r10
                              0x4D, 0x89, 0xD9,              // mov %r11,%r9
                              0x48, 0x83, 0xE6, 0xF0,        // and $-16,%rsi
                              0x48, 0x83, 0xEE, 0x08,        // sub $8,%rsi
                              0x48, 0x89, 0x0E]              // mov %rcx,(%rsi)
        let stack: UInt64 = 0x7FFF_4000
        let accepted = try #require(plan(bytes, [Self.rsp: stack, Self.r10: 0x55], memory: [stack + 8: 0x55]))
        #expect(accepted.start == 0x40_1000 - 19 && accepted.instructions.count == 5)
        #expect(plan(bytes, [Self.rsp: stack, Self.r10: 0x55], memory: [stack + 8: 0x56]) == nil)
    }

    @Test("musl syscall(): a store of an immediate to the stack is checked in memory")
    func storedImmediate() throws {
        let bytes: [UInt8] = [0xC7, 0x04, 0x24, 0x08, 0x00, 0x00, 0x00,  // movl $0x8,(%rsp)
                              0x48, 0x8B, 0x72, 0x10,                    // mov 0x10(%rdx),%rsi
                              0x48, 0x8B, 0x52, 0x18]                    // mov 0x18(%rdx),%rdx
        let stack: UInt64 = 0x7FFF_3000
        let accepted = try #require(plan(bytes, [Self.rsp: stack], memory: [stack: 8]))
        #expect(accepted.start == 0x40_1000 - 15 && accepted.instructions.count == 3)
        #expect(plan(bytes, [Self.rsp: stack], memory: [stack: 9]) == nil)
    }

    @Test("rip-relative lea after the mov is rebased to the same target")
    func ripRelativeLea() throws {
        // 4015f0: mov $0xda,%eax; lea 0x2c74(%rip),%rdi (-> 0x404270); syscall at 0x4015fc
        let bytes: [UInt8] = [0xB8, 0xDA, 0x00, 0x00, 0x00, 0x48, 0x8D, 0x3D, 0x74, 0x2C, 0x00, 0x00]
        let accepted = try #require(plan(bytes, syscallAddress: 0x40_15FC, [Self.rax: 0xDA]))
        let stub: UInt64 = 0xFFFF_FFFF_FF00_1000
        let code = try #require(accepted.relocated(at: stub))
        let displacement = Int32(bitPattern: UInt32(code[8]) | UInt32(code[9]) << 8 | UInt32(code[10]) << 16 | UInt32(code[11]) << 24)
        #expect(stub &+ 12 &+ UInt64(bitPattern: Int64(displacement)) == 0x40_4270)
        // From a stub more than 2 GiB away the target is out of reach: no code.
        #expect(accepted.relocated(at: 0x1_0000_0000) == nil)
    }

    @Test("an instruction that writes rcx, r11 or rsp before the syscall keeps the site trapping")
    func forbiddenDestinations() {
        #expect(plan([0xB8, 0x01, 0x00, 0x00, 0x00, 0x48, 0x89, 0xD1], [Self.rax: 1]) == nil)  // mov %rdx,%rcx
        #expect(plan([0xB8, 0x01, 0x00, 0x00, 0x00, 0x4D, 0x31, 0xDB], [Self.rax: 1]) == nil)  // xor %r11,%r11
        #expect(plan([0xB8, 0x01, 0x00, 0x00, 0x00, 0x48, 0x83, 0xC4, 0x08], [Self.rax: 1]) == nil)  // add $8,%rsp
        #expect(plan([0xB8, 0x01, 0x00, 0x00, 0x00, 0x40, 0x88, 0xC4], [Self.rax: 1]) == nil)  // mov %al,%spl
    }

    @Test("short instructions before the syscall (2-byte xor or mov, a jcc in the first 5 bytes) keep trapping")
    func boundariesInsideTheJump() {
        #expect(plan([0x31, 0xFF, 0x89, 0xD0], [Self.rdi: 0, Self.rax: 0x3C, Self.rdx: 0x3C]) == nil)  // glibc _exit
        #expect(plan([0x85, 0xC0, 0x75, 0x02, 0x31, 0xC0], [Self.rax: 0]) == nil)  // test; jne; xor
        #expect(plan([0x31, 0xC0], [Self.rax: 0]) == nil)  // glibc __read_nocancel
        // A provable 4-byte load: the jump would put its displacement's high byte (0xfe or 0xff from here) over the syscall, which does not trap.
        #expect(plan([0x8B, 0x7C, 0x24, 0x08], [Self.rdi: 1], memory: [0x1004 + 8: 1]) == nil)
    }

    @Test("bytes the decoder does not know (prefixes, calls, pushes) end a candidate")
    func unknownForms() {
        #expect(plan([0x64, 0x8B, 0x04, 0x25, 0x18, 0x00, 0x00, 0x00]) == nil)  // mov %fs:0x18,%eax
        #expect(plan([0xB8, 0x01, 0x00, 0x00, 0x00, 0x6A, 0x00], [Self.rax: 1]) == nil)  // push $0
        #expect(plan([0xE8, 0x00, 0x00, 0x00, 0x00], [:]) == nil)  // call
    }

    @Test("8-bit operands without REX name ah..bh, with REX spl..dil")
    func byteRegisters() throws {
        let high = try #require(SyscallSiteDecoder.decode([0x80, 0xF6, 0x81], at: 0, base: 0))  // xor $0x81,%dh
        #expect(high.writes == 1 << 2)
        let low = try #require(SyscallSiteDecoder.decode([0x40, 0x80, 0xF6, 0x81], at: 0, base: 0))  // xor $0x81,%sil
        #expect(low.writes == 1 << 6 && low.bytes.count == 4)
    }

    @Test("a load into its own base register gives no evidence")
    func loadIntoBase() {
        #expect(plan([0x48, 0x8B, 0x92, 0x18, 0x00, 0x00, 0x00], [Self.rdx: 5], memory: [0x1002 + 0x18: 5, 5 + 0x18: 5]) == nil)
    }
}
