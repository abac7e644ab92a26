import Foundation
import Glibc
import Testing

/// A malicious or runaway guest must not crash the hypervisor, reach host memory
/// or files outside its own, or make it grow without bound; every way a run ends
/// is a clear message and an exit status. The guest programs are in Tests/Hostile
/// and are built here with musl-gcc. (A runaway loop stopped by --timeout is pinned
/// by RunnerTests.stopsRunawayGuestAfterTimeoutWith124.)
@Suite("resilience against hostile and exhausting guests",
       .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)),
       .enabled(if: BuiltTools.muslGCC != nil, Comment(rawValue: BuiltTools.muslMissing)))
struct ResilienceTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    /// The AddressSanitizer build of the hypervisor made by `make asan-hypervisor`.
    static var asanHypervisor: String? {
        let bin = BuiltTools.packageRoot.appendingPathComponent(".build-asan/debug/hypervisor").path
        return FileManager.default.isExecutableFile(atPath: bin) ? bin : nil
    }

    // MARK: Hostile hypercalls

    /// Runs Tests/Hostile/hostile_hypercalls.c against `hypervisor` on a read-only root
    /// holding a small file and two symlinks that point out of the root.
    func runHostileProgram(on hypervisor: String, extraArguments: [String] = []) throws -> BuiltTools.Measured {
        let program = try tools.buildHostile("hostile_hypercalls")
        let root = tools.scratch.appendingPathComponent("hostile-root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("0123456789".utf8).write(to: root.appendingPathComponent("source"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("up").path, withDestinationPath: "../../../../../../..")
        return try tools.spawnMeasured(hypervisor, ["--read-only", "--dir", root.path, "--timeout", "300"] + extraArguments
            + [program, "30000", "0x1234567"])
    }

    func expectSurvived(_ result: BuiltTools.Measured) {
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        #expect(result.status == 0, "stderr tail: \(result.stderr.suffix(2000))")
        #expect(result.exitedNormally)
        #expect(stdout.contains("hostile: survived"), "the summary line is missing")
        #expect(!result.stderr.contains("AddressSanitizer"), "\(result.stderr.suffix(4000))")
        #expect(!result.stderr.contains("SANDBOX ESCAPE"))
    }

    @Test func hostileHypercallsAndGarbageSyscallsDoNotStopTheRun() throws {
        expectSurvived(try runHostileProgram(on: tools.hypervisor.path))
    }

    @Test(.enabled(if: ResilienceTests.asanHypervisor != nil,
                   "no AddressSanitizer hypervisor at .build-asan/debug/hypervisor: run `make asan-hypervisor` first"))
    func hostileHypercallsRaiseNoAddressSanitizerReport() throws {
        let trace = tools.scratch.appendingPathComponent("hostile.trace").path
        expectSurvived(try runHostileProgram(on: ResilienceTests.asanHypervisor!, extraArguments: ["--trace-file", trace]))
    }

    /// `--timeout inf` and `1e30` used to trap converting to milliseconds (SIGILL, 132) and
    /// `nan` stopped the guest at once as a "nan-second timeout".
    @Test(arguments: ["inf", "nan", "1e30", "0", "-1"])
    func refusesUnusableTimeoutWith125(_ value: String) throws {
        let result = try tools.runHypervisor(["--timeout=\(value)", "/bin/true"])
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("invalid --timeout"))
    }

    // MARK: Exhaustion

    @Test func memoryExhaustionIsENOMEMNotACrash() throws {
        let program = try tools.buildHostile("exhaust_memory")
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--memory", "64M", "--timeout", "120", program])
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        // Whatever the kernel does, the hypervisor reports it cleanly: success, or a guest
        // crash with a report (never 125, a hang, or the hypervisor dying of a signal).
        #expect(result.exitedNormally)
        #expect(result.status == 0 || (result.status == 139 && result.stderr.contains("page fault")), "\(result.stderr.prefix(2000))")
        // mmap and brk refuse writable mappings larger than the free frames (Linux's heuristic
        // overcommit), so malloc returns NULL once guest memory is used up.
        #expect(result.status == 0 && stdout.contains("ENOMEM ok"), "\(stdout)")
    }

    @Test func stackOverflowIntoTheGuardPageDiesWith139() throws {
        let program = try tools.buildHostile("stack_overflow")
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "120", program])
        #expect(result.status == 139)
        #expect(result.exitedNormally)
        #expect(result.stderr.contains("page fault"), "\(result.stderr.prefix(1500))")
    }

    @Test func descriptorExhaustionIsEMFILE() throws {
        let program = try tools.buildHostile("exhaust_descriptors")
        let root = tools.scratch.appendingPathComponent("descriptors-root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("exhaust_descriptors.txt"))
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--dir", root.path, "--timeout", "120", program])
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        #expect(result.status == 0, "\(stdout) \(result.stderr)")
        #expect(stdout.contains(": EMFILE"))
        #expect(stdout.contains("after close: open succeeds"))
    }

    @Test func writingOneGiBToStdoutKeepsTheHypervisorSmall() throws {
        let program = try tools.buildHostile("write_gigabyte")
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "300", program])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutCount == 1 << 30)
        // Guest memory (64 MiB, touched lazily) plus the runtime; the bytes moved must not add up.
        #expect(result.maxRSSKiB < 200 * 1024, "peak RSS \(result.maxRSSKiB) KiB")
    }

    // MARK: Signals

    /// Sends `signal` to the hypervisor while its guest spins, after the guest said "ready".
    func interruptSpinningGuest(with signal: Int32) throws -> (BuiltTools.Measured, leftovers: [String]) {
        let program = try tools.assemble("""
            .globl _start
            _start: mov $1, %eax          # write(1, "ready\\n", 6)
                    mov $1, %edi
                    lea ready(%rip), %rsi
                    mov $6, %edx
                    syscall
            spin:   jmp spin
            ready:  .ascii "ready\\n"
            """)
        let privateTemp = tools.scratch.appendingPathComponent("tmpdir-\(signal)")
        try FileManager.default.createDirectory(at: privateTemp, withIntermediateDirectories: true)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: "/tmp"))
        var sawReady = false
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "60", program],
                                             environment: ["TMPDIR": privateTemp.path]) { pid, waitForOutput in
            sawReady = waitForOutput("ready", 30)
            kill(pid, signal)
        }
        #expect(sawReady, "the guest never printed ready")
        // New /tmp entries named like the hypervisor's (it only ever makes one, for objdump on a
        // crash), and anything in the private TMPDIR. Other tests' scratch directories are ignored.
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: "/tmp"))
        let leftovers = after.subtracting(before).filter { $0.hasPrefix("unikernel") || $0.hasPrefix("hypervisor") }
            + (try FileManager.default.contentsOfDirectory(atPath: privateTemp.path))
        return (result, leftovers)
    }

    @Test func sigintEndsTheRunWith130AndLeavesNoFiles() throws {
        let (result, leftovers) = try interruptSpinningGuest(with: SIGINT)
        #expect(result.status == 130)
        #expect(result.exitedNormally, "the hypervisor handled the signal rather than dying of it")
        #expect(result.stderr.contains("stopped by signal 2"))
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func sigtermEndsTheRunWith143AndLeavesNoFiles() throws {
        let (result, leftovers) = try interruptSpinningGuest(with: SIGTERM)
        #expect(result.status == 143)
        #expect(result.exitedNormally, "the hypervisor handled the signal rather than dying of it")
        #expect(result.stderr.contains("stopped by signal 15"))
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
