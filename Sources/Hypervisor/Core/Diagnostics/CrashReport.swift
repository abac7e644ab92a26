import UnikernelABI

/// The Linux signal a CPU exception becomes, and the exit status a shell
/// reports for a process killed by it (128 + signal).
public struct ExceptionKind: Equatable, Sendable {
    public var vector: UInt32
    public var mnemonic: String
    public var name: String
    public var signal: Int32

    public var exitStatus: Int32 { 128 + signal }

    static let sigill: Int32 = 4, sigtrap: Int32 = 5, sigbus: Int32 = 7, sigfpe: Int32 = 8, sigsegv: Int32 = 11

    /// The kind of exception `vector` (Intel SDM Vol. 3A Table 6-1) with Linux's signal for it.
    public init(vector: UInt32) {
        self.vector = vector
        let table: [UInt32: (String, String, Int32)] = [
            0: ("#DE", "divide error", Self.sigfpe),
            1: ("#DB", "debug exception", Self.sigtrap),
            2: ("NMI", "non-maskable interrupt", Self.sigsegv),
            3: ("#BP", "breakpoint", Self.sigtrap),
            4: ("#OF", "overflow", Self.sigsegv),
            5: ("#BR", "bound range exceeded", Self.sigsegv),
            6: ("#UD", "invalid opcode", Self.sigill),
            7: ("#NM", "device not available", Self.sigsegv),
            8: ("#DF", "double fault", Self.sigsegv),
            10: ("#TS", "invalid TSS", Self.sigsegv),
            11: ("#NP", "segment not present", Self.sigbus),
            12: ("#SS", "stack-segment fault", Self.sigbus),
            13: ("#GP", "general protection fault", Self.sigsegv),
            14: ("#PF", "page fault", Self.sigsegv),
            16: ("#MF", "x87 floating-point exception", Self.sigfpe),
            17: ("#AC", "alignment check", Self.sigbus),
            18: ("#MC", "machine check", Self.sigbus),
            19: ("#XM", "SIMD floating-point exception", Self.sigfpe),
            20: ("#VE", "virtualization exception", Self.sigsegv),
            21: ("#CP", "control protection exception", Self.sigsegv),
        ]
        let (mnemonic, name, signal) = table[vector] ?? ("#\(vector)", "exception \(vector)", Self.sigsegv)
        self.mnemonic = mnemonic
        self.name = name
        self.signal = signal
    }
}

/// The paragraph printed on stderr when the guest dies of a CPU exception.
public struct CrashReport: Sendable {
    public var crash: GuestCrash
    public var programPath: String
    public var recentSyscalls: [SyscallRecord]
    /// Where RIP is: "symbol+offset", or "segment N (r-x) + offset" in a stripped program.
    public var location: String?
    /// The faulting instruction as objdump decodes it.
    public var instruction: String?

    public init(crash: GuestCrash, programPath: String, recentSyscalls: [SyscallRecord],
                location: String? = nil, instruction: String? = nil) {
        self.crash = crash
        self.programPath = programPath
        self.recentSyscalls = recentSyscalls
        self.location = location
        self.instruction = instruction
    }

    /// The one-line likely cause, when the pattern is known.
    public var likelyCause: String? {
        CrashDiagnosis.likelyCause(vector: crash.vector, errorCode: crash.errorCode, registers: crash.registers,
                                   instruction: instruction, recentSyscalls: recentSyscalls)
    }

    public var kind: ExceptionKind { ExceptionKind(vector: crash.vector) }

    /// A description of a page-fault error code (Intel SDM Vol. 3A §4.7).
    public static func describePageFault(errorCode: UInt64) -> String {
        let access = errorCode & 0x10 != 0 ? "instruction fetch" : (errorCode & 0x2 != 0 ? "write" : "read")
        let cause = errorCode & 0x1 != 0 ? "protection violation" : "page not present"
        return "\(access), \(cause)"
    }

    public var text: String {
        let r = crash.registers
        let hex = CrashReport.hex
        var lines: [String] = []
        var headline = "\(programPath): guest died of \(kind.name) (\(kind.mnemonic), vector \(crash.vector)) at rip \(hex(r.rip))"
        if let code = crash.errorCode {
            headline += ", error code \(hex(code))"
            if crash.vector == 14 { headline += " (\(CrashReport.describePageFault(errorCode: code)) at \(hex(r.cr2)))" }
        }
        if let location { headline += " in \(location)" }
        lines.append(headline)
        if let instruction { lines.append("  instruction: \(instruction)") }
        if let cause = likelyCause { lines.append("  likely cause: \(cause)") }
        lines += CrashReport.generalRegisterLines(r)
        lines.append("  rflags \(hex(r.rflags))  cs \(hex(r.cs))  ss \(hex(r.ss))  fs.base \(hex(r.fs_base))  rsp % 16 = \(r.rsp % 16)")
        lines.append("  cr0 \(hex(r.cr0))  cr2 \(hex(r.cr2))  cr3 \(hex(r.cr3))  cr4 \(hex(r.cr4))")
        lines += CrashReport.recentSyscallLines(recentSyscalls)
        lines.append("  exit status \(kind.exitStatus) (as a Linux process killed by signal \(kind.signal))")
        return lines.joined(separator: "\n")
    }
}

extension CrashReport {
    /// `0x` and hexadecimal digits, as both crash reports print values.
    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// The general-purpose registers, four to a line in 16 hex digits, as the program's crash
    /// report and the kernel-bug report print them.
    static func generalRegisterLines(_ r: uk_registers) -> [String] {
        func pad(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
        }
        return [
            "  rax \(pad(r.rax))  rbx \(pad(r.rbx))  rcx \(pad(r.rcx))  rdx \(pad(r.rdx))",
            "  rsi \(pad(r.rsi))  rdi \(pad(r.rdi))  rbp \(pad(r.rbp))  rsp \(pad(r.rsp))",
            "  r8  \(pad(r.r8))  r9  \(pad(r.r9))  r10 \(pad(r.r10))  r11 \(pad(r.r11))",
            "  r12 \(pad(r.r12))  r13 \(pad(r.r13))  r14 \(pad(r.r14))  r15 \(pad(r.r15))",
        ]
    }

    /// "last syscalls:" and one --trace line per record; nothing when there are none.
    static func recentSyscallLines(_ records: [SyscallRecord]) -> [String] {
        records.isEmpty ? [] : ["  last syscalls:"] + records.map { "    " + SyscallTracer.format($0) }
    }
}
