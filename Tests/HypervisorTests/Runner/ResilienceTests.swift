import CLinux
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
        // An `etc` of its own: the root's /etc/passwd must then not exist (a root without one
        // would get a generated /etc, whose passwd starts with "root:" like the host's).
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
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

    /// The guest's System V IPC objects live in a namespace of its own: a host message queue,
    /// semaphore set and segment (made here, with a key) cannot be found, read, attached or
    /// removed from the guest, even knowing their key and ids. Needs CAP_SYS_ADMIN (root).
    @Test(.enabled(if: getuid() == 0))
    func systemVIPCObjectsOfTheHostAreOutOfReach() throws {
        let program = try tools.buildHostile("sysv_escape")
        let key: Int32 = 0x5EC0_0001
        let queue = msgget(key, 0o1600), semaphores = semget(key, 1, 0o1600), segment = shmget(key, 4096, 0o1600)
        defer {
            _ = msgctl(queue, IPC_RMID, nil)
            _ = clinux_sysv(66, Int(semaphores), 0, Int(IPC_RMID), 0, 0)  // semctl is variadic in C
            _ = shmctl(segment, IPC_RMID, nil)
        }
        #expect(queue >= 0 && semaphores >= 0 && segment >= 0)
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "120", program, "\(key)", "\(queue)", "\(semaphores)", "\(segment)"])
        #expect(result.status == 0, "\(String(decoding: result.stdout, as: UTF8.self)) \(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self).contains("sysv escape: none"))
        var info = msqid_ds()
        #expect(msgctl(queue, IPC_STAT, &info) == 0, "the host's queue is still there")
    }

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

    /// A guest that opens kept.txt, prints "ready", writes "abc\n" three times to the file
    /// and spins. The small writes stay in the kernel's write-behind buffer: no hypercall
    /// follows them that would flush it.
    func writeThenSpinProgram() throws -> String {
        try tools.assemble("""
            .globl _start
            _start: mov $2, %eax          # open("kept.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644)
                    lea name(%rip), %rdi
                    mov $0x241, %esi
                    mov $0644, %edx
                    syscall
                    mov %rax, %rbx
                    mov $1, %eax          # write(1, "ready\\n", 6)
                    mov $1, %edi
                    lea ready(%rip), %rsi
                    mov $6, %edx
                    syscall
                    mov $3, %r12d
            more:   mov $1, %eax          # write(fd, "abc\\n", 4)
                    mov %rbx, %rdi
                    lea abc(%rip), %rsi
                    mov $4, %edx
                    syscall
                    dec %r12d
                    jnz more
            spin:   jmp spin
            name:   .asciz "kept.txt"
            abc:    .ascii "abc\\n"
            ready:  .ascii "ready\\n"
            """)
    }

    /// Sends `signal` to the hypervisor while its guest spins, after the guest said "ready".
    func interruptSpinningGuest(with signal: Int32) throws -> (BuiltTools.Measured, leftovers: [String]) {
        let program = try writeThenSpinProgram()
        let privateTemp = tools.scratch.appendingPathComponent("tmpdir-\(signal)")
        try FileManager.default.createDirectory(at: privateTemp, withIntermediateDirectories: true)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: "/tmp"))
        var sawReady = false
        let root = tools.scratch.appendingPathComponent("root-\(signal)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "60", "--dir", root.path, program],
                                             environment: ["TMPDIR": privateTemp.path]) { pid, waitForOutput in
            sawReady = waitForOutput("ready", 30)
            usleep(200_000)  // the three writes after "ready" take microseconds
            kill(pid, signal)
        }
        #expect(sawReady, "the guest never printed ready")
        // As on Linux, the killed program's completed writes are in the file.
        let kept = try? String(contentsOf: root.appendingPathComponent("kept.txt"), encoding: .utf8)
        #expect(kept == "abc\nabc\nabc\n", "kept.txt holds \(kept ?? "nothing")")
        // New /tmp entries named like the hypervisor's objdump file (made on a crash), and anything
        // in the private TMPDIR (the guest's private /tmp and /dev must be gone). Other tests' scratch directories are ignored.
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: "/tmp"))
        // (Not "unikernel.*" in /tmp: every runner of the tests running alongside has its private
        // /tmp and /dev there while it runs; this one's would be in privateTemp.)
        let leftovers = after.subtracting(before).filter { $0.hasPrefix("hypervisor") }
            + (try FileManager.default.contentsOfDirectory(atPath: privateTemp.path))
        return (result, leftovers)
    }

    /// A guest stopped by --timeout cannot flush the kernel's write-behind buffer: the
    /// hypervisor writes it out, so the file holds what the program wrote (as `timeout` gives).
    @Test func timeoutKeepsTheProgramsCompletedWrites() throws {
        let program = try writeThenSpinProgram()
        let root = tools.scratch.appendingPathComponent("root-timeout")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "1", "--dir", root.path, program])
        #expect(result.status == 124)
        let kept = try? String(contentsOf: root.appendingPathComponent("kept.txt"), encoding: .utf8)
        #expect(kept == "abc\nabc\nabc\n", "kept.txt holds \(kept ?? "nothing")")
    }

    /// SIGINT and SIGTERM are the program's, as when it runs directly: one that takes the
    /// default action ends the program; the runner (a top-level one) then exits with 128 + the
    /// signal after its clean-up, as for any program a signal ends.
    @Test func sigintEndsASpinningProgramAsItsDefaultActionDoes() throws {
        let (result, leftovers) = try interruptSpinningGuest(with: SIGINT)
        #expect(result.status == 130)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func sigtermEndsASpinningProgramAsItsDefaultActionDoes() throws {
        let (result, leftovers) = try interruptSpinningGuest(with: SIGTERM)
        #expect(result.status == 143)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// A program that handles SIGTERM runs its handler when the runner gets the signal (a
    /// server's orderly shutdown, an interpreter's KeyboardInterrupt on SIGINT).
    @Test func sigtermReachesTheProgramsHandler() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: mov $13, %eax         # rt_sigaction(SIGTERM, &action, NULL, 8)
                    mov $15, %edi
                    lea action(%rip), %rsi
                    xor %edx, %edx
                    mov $8, %r10d
                    syscall
                    mov $1, %eax          # write(1, "ready\\n", 6)
                    mov $1, %edi
                    lea ready(%rip), %rsi
                    mov $6, %edx
                    syscall
            spin:   jmp spin
            handler: mov $231, %eax       # exit_group(3): the handler never returns
                    mov $3, %edi
                    syscall
            action: .quad handler, 0, 0, 0
            ready:  .ascii "ready\\n"
            """)
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "60", program]) { pid, waitForOutput in
            #expect(waitForOutput("ready", 30), "the guest never printed ready")
            kill(pid, SIGTERM)
        }
        #expect(result.status == 3)
        #expect(result.exitedNormally)
    }
}
