import Foundation
import Testing
import Hypervisor

/// Host programs run as they are (`--system`: the host's /usr, /lib, /bin, /etc read-only):
/// dynamically linked ones give what they give natively, and busybox's ps, free and df
/// describe the guest through its /proc (README "The guest's file system").
@Suite("host programs with --system", .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)))
struct HostProgramTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    private func guest(_ arguments: [String]) throws -> BuiltTools.Result {
        try tools.run(tools.hypervisor, ["--system", "--dir", tools.scratch.path] + arguments)
    }

    private func native(_ program: String, _ arguments: [String]) throws -> BuiltTools.Result {
        try tools.run(URL(fileURLWithPath: program), arguments)
    }

    @Test("ls -l /usr/bin prints what it prints natively")
    func listsLikeNatively() throws {
        let inGuest = try guest(["/bin/ls", "-l", "/usr/bin"])
        let natively = try native("/bin/ls", ["-l", "/usr/bin"])
        #expect(inGuest.status == 0, "stderr: \(inGuest.stderr)")
        #expect(inGuest.stdout == natively.stdout)
    }

    @Test("python3 -c 'print(1)' prints 1")
    func runsPython() throws {
        let result = try guest(["/usr/bin/python3", "-c", "print(1)"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "1\n")
    }

    @Test("busybox ps lists the guest's process: itself, with its own pid")
    func busyboxPs() throws {
        let result = try guest(["/bin/busybox", "ps"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.hasPrefix("PID") == true)
        #expect(lines.count == 2)
        #expect(lines.last?.hasSuffix("busybox ps") == true)
        #expect(lines.last.flatMap { Int($0.split(separator: " ").first ?? "") }.map { $0 > 1 } == true)
    }

    @Test("busybox free reports the guest's memory (--memory), not the host's")
    func busyboxFree() throws {
        let result = try guest(["--memory", "128M", "/bin/busybox", "free"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let memory = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("Mem:") }
        let total = memory.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }
        #expect(total == 128 * 1024)
    }

    @Test("busybox df lists the root and the read-only volumes --system mounts")
    func busyboxDf() throws {
        let result = try guest(["/bin/busybox", "df"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let mountPoints = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: " ").last.map(String.init) }
        for expected in ["/", "/usr", "/etc", "/tmp", "/dev"] {
            #expect(mountPoints.contains(expected), "df lists \(mountPoints)")
        }
        let mounts = try guest(["/bin/cat", "/proc/mounts"])
        let text = String(decoding: mounts.stdout, as: UTF8.self)
        #expect(text.contains("hostfs /usr hostfs ro,relatime 0 0\n"))
        #expect(text.contains("proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"))
    }
}
