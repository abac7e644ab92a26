import UnikernelABI

/// Names the likely cause of a crash from the exception, the faulting
/// instruction and the machine state, for the patterns this project has met:
/// misaligned SSE operands, SSE/AVX not enabled, FS-relative access without a
/// TLS base, NULL dereferences, stack overflow, and a refused syscall just before.
public enum CrashDiagnosis {
    static let cr4OSFXSR: UInt64 = 1 << 9
    static let cr4OSXSAVE: UInt64 = 1 << 18
    static let cr0Emulation: UInt64 = 1 << 2

    /// SSE/AVX moves that fault on operands not aligned to their size.
    static let alignedMnemonics: Set<String> = [
        "movaps", "movapd", "movdqa", "movntps", "movntpd", "movntdq", "movntdqa",
        "vmovaps", "vmovapd", "vmovdqa", "vmovdqa32", "vmovdqa64", "vmovntps", "vmovntpd", "vmovntdq",
    ]

    /// One line, or nil when no known pattern matches.
    public static func likelyCause(vector: UInt32, errorCode: UInt64?, registers r: uk_registers,
                                   instruction: String?, recentSyscalls: [SyscallRecord]) -> String? {
        let text = instruction ?? ""
        let mnemonic = text.split(separator: " ").first.map(String.init) ?? ""
        let usesVectorRegisters = text.contains("%xmm") || text.contains("%ymm") || text.contains("%zmm")
        var cause: String?
        switch vector {
        case 13 where alignedMnemonics.contains(mnemonic) || (usesVectorRegisters && text.contains("(")):
            if text.contains("%rsp") && r.rsp % 16 != 0 {
                cause = "misaligned SSE operand: `\(mnemonic)` needs a 16-byte aligned address but %rsp % 16 = \(r.rsp % 16) (the stack was misaligned by the entry stack or a syscall/interrupt return)"
            } else {
                cause = "misaligned SSE operand: `\(mnemonic)` needs an address aligned to its operand size"
            }
        case 6 where mnemonic == "syscall":
            cause = "SYSCALL is not enabled (EFER.SCE = 0)"
        case 6 where usesVectorRegisters || mnemonic.hasPrefix("v") && text.contains("%"):
            if r.cr0 & cr0Emulation != 0 || r.cr4 & cr4OSFXSR == 0 {
                cause = "SSE is not enabled (CR4.OSFXSR = \(r.cr4 & cr4OSFXSR != 0 ? 1 : 0), CR0.EM = \(r.cr0 & cr0Emulation != 0 ? 1 : 0))"
            } else if text.contains("%ymm") || text.contains("%zmm") || mnemonic.hasPrefix("v") {
                cause = r.cr4 & cr4OSXSAVE == 0
                    ? "AVX is not enabled (CR4.OSXSAVE = 0, so XCR0 cannot enable the AVX state)"
                    : "AVX is not enabled in XCR0 or not offered by CPUID"
            }
        case 14:
            if text.contains("%fs:") && r.fs_base == 0 {
                cause = "FS-relative access with no TLS base (FS base is 0: arch_prctl(ARCH_SET_FS) was not honoured)"
            } else if r.cr2 < 0x1000 {
                cause = "NULL pointer dereference (address 0x\(String(r.cr2, radix: 16)))"
            } else if r.cr2 <= r.rsp, r.rsp - r.cr2 <= 0x10000, (errorCode ?? 0) & 1 == 0 {
                cause = "stack overflow: the fault is just below %rsp, in the guard page under the stack"
            }
        default:
            break
        }
        if cause == nil, r.rip >= UK_SYSCALL_STUB_WINDOW {
            cause = "the fault is in a syscall-site stub of the kernel's rewriting of hot syscall sites; rerun with --no-syscall-patching to compare"
        }
        if let last = recentSyscalls.last, last.result < 0, last.result >= -4095 {
            let name = LinuxSyscallNames.name(of: last.number) ?? "syscall \(last.number)"
            let refusal = "the syscall just before, \(name), was refused with \(LinuxErrno.name(Int32(-last.result)))"
            cause = cause.map { "\($0); \(refusal)" } ?? refusal
        }
        return cause
    }
}
