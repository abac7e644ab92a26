import Foundation
import Glibc
import Testing

/// The guest is its own pid namespace (`GuestProcessTree`): kill, getpgid and getsid reach the
/// guest's processes and no other host process. Natively (as root) `kill(1, 0)` succeeds and
/// `kill(-1, sig)` reaches the whole machine, so this is checked in the guest only, with
/// Tests/Hostile/kill_outside.c against a stopped host process that must stay stopped.
@Suite("signals stay inside the guest's process tree",
       .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)),
       .enabled(if: BuiltTools.muslGCC != nil, Comment(rawValue: BuiltTools.muslMissing)))
struct GuestProcessTreeTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    /// A host `sleep` in a process group of its own, stopped; the caller kills it.
    func spawnStoppedCanary() throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        let words: [String] = ["/bin/sleep", "60"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sleep", nil, &attributes, argv, environ) == 0 else {
            throw BuiltTools.Missing(description: "cannot spawn /bin/sleep")
        }
        kill(pid, SIGSTOP)
        var status: Int32 = 0
        _ = waitpid(pid, &status, WUNTRACED)
        return pid
    }

    /// Whether process `pid` is stopped, by its state in /proc/PID/stat.
    func isStopped(_ pid: pid_t) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return false }
        return text[text.index(end, offsetBy: 2)] == "T"
    }

    @Test func pidsOutsideTheGuestAreESRCHAndKillAllReachesOnlyTheGuest() throws {
        let program = try tools.buildHostile("kill_outside")
        let canary = try spawnStoppedCanary()
        defer {
            kill(canary, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(canary, &status, 0)
        }
        #expect(isStopped(canary))
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "60", program, "\(canary)"])
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(2000))")
        #expect(stdout == """
            kill(outside, 0): ESRCH
            kill(outside, SIGCONT): ESRCH
            kill(-outside, SIGCONT): ESRCH
            getpgid(outside): ESRCH
            getsid(outside): ESRCH
            kill(1, 0): ESRCH
            kill(getppid(), 0): ESRCH
            kill(-1, 0) alone: ESRCH
            kill(-1, SIGCONT) with a child: ok
            the child took it: yes
            kill(-1, 0) alone again: ESRCH
            kill(outside, 0) after a fork: ESRCH

            """)
        // Nothing the guest sent reached it: still stopped.
        #expect(isStopped(canary))
    }
}
