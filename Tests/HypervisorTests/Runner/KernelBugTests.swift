import Foundation
import Testing
import Hypervisor

/// A fault inside the kernel, made on purpose with `--debug-fault kernel-trap` (a Swift runtime
/// trap in the kernel's write path), is reported as a kernel bug, not as the program's crash.
@Suite("kernel bugs on KVM", .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)))
struct KernelBugTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    /// getpid, then write(1, "ping\n", 5), then exit_group(0).
    static let source = """
        .globl _start
        _start: mov $39, %eax           # getpid()
                syscall
                mov $1, %eax            # write(1, msg, 5)
                mov $1, %edi
                lea msg(%rip), %rsi
                mov $5, %edx
                syscall
                mov $231, %eax          # exit_group(0)
                xor %edi, %edi
                syscall
        msg:    .ascii "ping\\n"
        """

    @Test func aDeliberateKernelTrapIsAKernelBugWithTheCallInProgress() throws {
        let program = try tools.assemble(Self.source)
        let trace = tools.scratch.appendingPathComponent("kernel-trap.trace").path
        let result = try tools.runHypervisor(["--debug-fault", "kernel-trap", "--trace-file", trace, program])
        #expect(result.status == 125, "a kernel bug is the runner's failure, not a signal of the program")
        #expect(result.stdout.isEmpty, "the write never happened")
        let headline = try #require(result.stderr.split(separator: "\n").first.map(String.init))
        #expect(headline.hasPrefix("hypervisor: kernel bug: invalid opcode (#UD: a Swift runtime trap) at rip 0xffffffff8"))
        #expect(headline.contains(" in FileSyscalls.transfer(fd:buffer:count:offset:write:)+0x"), "names the kernel function")
        #expect(headline.hasSuffix(#" while serving write(1, "ping\n", 5)"#), "names the call and its decoded arguments")
        #expect(!result.stderr.contains("guest died of"), "not reported as the program's crash")
        #expect(result.stderr.contains("exit status 125 (a kernel bug)"))
        // --trace prints the call the kernel died in, though it never returned.
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("getpid() = ") == true)
        #expect(lines.last == #"write(1, "ping\n", 5) = ? <kernel bug>"#)
    }

    @Test func withoutTheOptionTheSameProgramRuns() throws {
        let program = try tools.assemble(Self.source)
        let result = try tools.runHypervisor([program])
        #expect(result.status == 0)
        #expect(result.stdout == Data("ping\n".utf8))
    }

    @Test func theProgramsOwnTrapIsStillItsCrash() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: ud2
            """)
        let result = try tools.runHypervisor(["--debug-fault", "kernel-trap", program])
        #expect(result.status == 132)
        #expect(result.stderr.contains("guest died of invalid opcode"))
        #expect(!result.stderr.contains("kernel bug"))
    }
}
