import Foundation
import Testing
import UnikernelABI

@testable import Hypervisor

/// A fault in the kernel is told apart from the program's crash and reported as a kernel bug:
/// the kernel function, what trapped, and the system call in progress decoded like `--trace`.
@Suite("Kernel-bug reports")
struct KernelBugReportTests {
    func crash(vector: UInt32, rip: UInt64, cs: UInt64 = 0x23, errorCode: UInt64? = nil, cr2: UInt64 = 0) -> GuestCrash {
        var r = uk_registers()
        r.rip = rip; r.cs = cs; r.ss = cs == 0x23 ? 0x1B : 0x10; r.cr2 = cr2; r.cr3 = 0x3000
        return GuestCrash(vector: vector, errorCode: errorCode, registers: r)
    }

    static let kernelRip: UInt64 = 0xFFFF_FFFF_8020_A165

    @Test func formatsASwiftTrapWithTheFunctionAndTheCallInProgress() {
        let report = KernelBugReport(
            crash: crash(vector: 6, rip: Self.kernelRip),
            location: "FileSyscalls.transfer(fd:buffer:count:offset:write:)+0x6ce",
            instructionBytes: [0x0F, 0x0B], instruction: nil,
            syscallInProgress: #"write(1, "hi\n", 3)"#, recentSyscalls: [])
        let lines = report.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "hypervisor: kernel bug: invalid opcode (#UD: a Swift runtime trap) at rip 0xffffffff8020a165 "
            + #"in FileSyscalls.transfer(fd:buffer:count:offset:write:)+0x6ce while serving write(1, "hi\n", 3)"#)
        #expect(lines.contains { $0.contains("a precondition, an arithmetic overflow") })
        #expect(lines.last == "  exit status 125 (a kernel bug)")
        #expect(KernelBugReport.exitStatus == 125)
        #expect(RunOutcome.kernelBug(report: report.text).exitStatus == 125)
        #expect(RunOutcome.kernelBug(report: report.text).message == report.text)
    }

    @Test func namesPageFaultsAndGeneralProtectionFaultsOutsideAnyCall() {
        let pageFault = KernelBugReport(crash: crash(vector: 14, rip: Self.kernelRip, errorCode: 2, cr2: 0x10),
                                        location: nil, instructionBytes: [], instruction: "movq $0x0,(%rax)",
                                        syscallInProgress: nil, recentSyscalls: [])
        #expect(pageFault.text.hasPrefix("hypervisor: kernel bug: page fault (#PF: write, page not present at 0x10) "
                                         + "at rip 0xffffffff8020a165 outside any system call"))
        let protection = KernelBugReport(crash: crash(vector: 13, rip: Self.kernelRip, errorCode: 0), location: "memcpy+0x4",
                                         instructionBytes: [0xF3, 0xA4], instruction: nil,
                                         syscallInProgress: "read(3, 0x7fff0000, 4096)", recentSyscalls: [])
        #expect(protection.text.hasPrefix("hypervisor: kernel bug: general protection fault (#GP, error code 0x0) "
                                          + "at rip 0xffffffff8020a165 in memcpy+0x4 while serving read(3, 0x7fff0000, 4096)"))
    }

    @Test func tellsKernelFaultsFromTheProgramsOnBothPlatforms() {
        // kvm-pvm: both run at CPL3; the kernel is what runs in its image's window.
        #expect(KernelBugReport.isKernelFault(crash(vector: 6, rip: Self.kernelRip), kernelPrivileged: false))
        #expect(!KernelBugReport.isKernelFault(crash(vector: 6, rip: 0x401000), kernelPrivileged: false))
        #expect(!KernelBugReport.isKernelFault(crash(vector: 13, rip: UK_SYSCALL_STUB_WINDOW + 0x40), kernelPrivileged: false))
        // Hardware KVM: the kernel runs at CPL0; a program that jumps into the kernel half faults at CPL3.
        #expect(KernelBugReport.isKernelFault(crash(vector: 6, rip: Self.kernelRip, cs: 0x08), kernelPrivileged: true))
        #expect(KernelBugReport.isKernelFault(crash(vector: 14, rip: 0, cs: 0x08), kernelPrivileged: true))
        #expect(!KernelBugReport.isKernelFault(crash(vector: 14, rip: Self.kernelRip), kernelPrivileged: true))
    }

    @Test func makesKernelSwiftNamesReadable() {
        let mangled = "$e9Unikernel12FileSyscallsO8transfer33_E73555941F75FDD81970B91E7C98F16ALL2fd6buffer5count6offset"
            + "5writeS2i_s6UInt64VSis5Int64VSbtAA5ErrnoOYKFZ"
        #expect(SwiftSymbolName.readable(mangled) == "FileSyscalls.transfer(fd:buffer:count:offset:write:)")
        #expect(SwiftSymbolName.readable("memcpy") == "memcpy")
        #expect(SwiftSymbolName.simplify("Unikernel.Process.init() -> Unikernel.Process") == "Process.init()")
        #expect(SwiftSymbolName.simplify("closure #1 in Unikernel.Signals.deliver()") == "closure #1 in Signals.deliver()")
    }

    @Test func decodesTheCallInProgressLikeTheTrace() {
        let memory: [UInt64: [UInt8]] = [0x402000: Array("hi\n".utf8)]
        let decoder = SyscallDecoder { address, count in Array((memory[address] ?? []).prefix(count)) }
        #expect(decoder.formatCall(number: 1, arguments: [1, 0x402000, 3, 0, 0, 0]) == #"write(1, "hi\n", 3)"#)
        // A buffer the call would have filled is a pointer: it never returned.
        #expect(decoder.formatCall(number: 0, arguments: [0, 0x402000, 64, 0, 0, 0]) == "read(0, 0x402000, 64)")
        #expect(decoder.formatCall(number: 72, arguments: [0x2000000000, 0, 0x7, 0, 0, 0]).hasPrefix("fcntl(0, F_DUPFD"))
    }
}
