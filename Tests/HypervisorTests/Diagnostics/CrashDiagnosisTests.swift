import Foundation
import Testing
import UnikernelABI

@testable import Hypervisor

/// Crash reports name the instruction, the symbol and the likely cause.
@Suite("Crash diagnosis")
struct CrashDiagnosisTests {
    func registers(rsp: UInt64 = 0x7FFF_FFFF_E000, cr2: UInt64 = 0, cr0: UInt64 = 0x8005_0033,
                   cr4: UInt64 = 0x40620, fsBase: UInt64 = 0x4C_0000) -> uk_registers {
        var r = uk_registers()
        r.rsp = rsp; r.cr2 = cr2; r.cr0 = cr0; r.cr4 = cr4; r.fs_base = fsBase; r.rip = 0x401000
        return r
    }

    func cause(_ vector: UInt32, _ instruction: String?, _ r: uk_registers, errorCode: UInt64? = nil,
               recent: [SyscallRecord] = []) -> String? {
        CrashDiagnosis.likelyCause(vector: vector, errorCode: errorCode, registers: r, instruction: instruction, recentSyscalls: recent)
    }

    @Test func namesMisalignedMovapsOnTheStack() throws {
        let text = try #require(cause(13, "movaps %xmm0,0x10(%rsp)", registers(rsp: 0x7FFF_FFFF_E008), errorCode: 0))
        #expect(text.contains("misaligned SSE operand"))
        #expect(text.contains("%rsp % 16 = 8"))
    }

    @Test func namesTheSyscallSiteStubWindow() throws {
        var r = registers()
        r.rip = UK_SYSCALL_STUB_WINDOW + 0x4F_10C0
        let text = try #require(cause(13, "int3", r, errorCode: 0))
        #expect(text.contains("--no-syscall-patching"))
        #expect(cause(13, "int3", registers(), errorCode: 0) == nil, "an application address gets no such cause")
    }

    @Test func namesSSEDisabledOnInvalidOpcode() throws {
        let text = try #require(cause(6, "pxor %xmm0,%xmm0", registers(cr4: 0x20)))
        #expect(text.contains("SSE is not enabled"))
    }

    @Test func namesAVXDisabledWhenOSXSAVEIsOff() throws {
        let text = try #require(cause(6, "vmovdqu (%rsi),%ymm0", registers(cr4: 0x620)))
        #expect(text.contains("AVX is not enabled"))
    }

    @Test func namesMissingTLSBaseForFSRelativeFault() throws {
        let text = try #require(cause(14, "mov %fs:0x28,%rax", registers(cr2: 0x28, fsBase: 0), errorCode: 4))
        #expect(text.contains("no TLS base"))
    }

    @Test func namesNullDereference() throws {
        let text = try #require(cause(14, "movq $0x1,0x0", registers(cr2: 0), errorCode: 6))
        #expect(text.contains("NULL pointer dereference"))
    }

    @Test func namesStackOverflowIntoGuardPage() throws {
        let text = try #require(cause(14, "push %rbp", registers(rsp: 0x7FFF_F77F_F000, cr2: 0x7FFF_F77F_EFF8), errorCode: 6))
        #expect(text.contains("stack overflow"))
    }

    @Test func mentionsRefusedSyscallJustBefore() throws {
        let refused = SyscallRecord(number: 334, arguments: [0, 0, 0, 0, 0, 0], result: -38)
        let text = try #require(cause(13, "hlt", registers(), recent: [refused]))
        #expect(text.contains("rseq"))
        #expect(text.contains("ENOSYS"))
    }

    @Test func staysQuietForUnknownPatterns() {
        #expect(cause(13, "hlt", registers()) == nil)
    }

    @Test func disassemblesWithObjdump() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Disassembler.objdump), "binutils objdump is needed")
        #expect(Disassembler.firstInstruction([0x0F, 0x28, 0x04, 0x24], at: 0x401000) == "movaps (%rsp),%xmm0")
        #expect(Disassembler.firstInstruction([0x64, 0x48, 0x8B, 0x04, 0x25, 0x28, 0, 0, 0], at: 0x1000) == "mov %fs:0x28,%rax")
    }

    @Test func symbolisesAddressesFromTheSymbolTable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sym-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("p.S"), binary = directory.appendingPathComponent("p")
        try ".globl _start\n_start: nop\nnop\nhelper: nop\nret\n".write(to: source, atomically: true, encoding: .utf8)
        let gcc = Process()
        gcc.executableURL = URL(fileURLWithPath: "/usr/bin/gcc")
        gcc.arguments = ["-nostdlib", "-static", "-o", binary.path, source.path]
        try gcc.run()
        gcc.waitUntilExit()
        try #require(gcc.terminationStatus == 0)
        let symbols = ELFSymbols(elf: Array(try Data(contentsOf: binary)))
        let start = try #require(symbols.symbols.first { $0.name == "_start" })
        #expect(symbols.describe(start.address) == "_start")
        #expect(symbols.describe(start.address + 1) == "_start+0x1")
        #expect(symbols.describe(start.address + 2) == "helper")
        #expect(ELFSymbols(elf: [0x7F, 0x45]).symbols.isEmpty)
    }
}
