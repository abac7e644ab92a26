import Foundation
import Testing
import Hypervisor

/// The `hypervisor` command end to end: exit statuses, stdio, errors, timeouts.
@Suite("hypervisor command", .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)))
struct RunnerTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    @Test func exitsWithTheProgramsStatus() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: mov $60, %eax
                    mov $42, %edi
                    syscall
            """)
        let result = try tools.runHypervisor([program])
        #expect(result.status == 42)
        #expect(result.stderr.isEmpty)
    }

    @Test func passesStdinThroughAndWritesStdout() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: xor %eax, %eax          # read(0, buf, 64)
                    xor %edi, %edi
                    lea buf(%rip), %rsi
                    mov $64, %edx
                    syscall
                    mov %rax, %rdx          # write(1, buf, n)
                    mov $1, %eax
                    mov $1, %edi
                    lea buf(%rip), %rsi
                    syscall
                    mov $231, %eax
                    xor %edi, %edi
                    syscall
            .bss
            buf: .skip 64
            """)
        let result = try tools.runHypervisor([program], stdin: Data("ping\n".utf8))
        #expect(result.status == 0)
        #expect(result.stdout == Data("ping\n".utf8))
    }

    @Test func stopsRunawayGuestAfterTimeoutWith124() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: jmp _start
            """)
        let result = try tools.runHypervisor(["--timeout", "0.5", program])
        #expect(result.status == 124)
        #expect(result.stderr.contains("timeout"))
    }

    /// `--version` names the KVM platform, which decides the kernel's privilege level.
    @Test func versionNamesThePlatform() throws {
        let result = try tools.runHypervisor(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.hasPrefix("hypervisor \(RunnerCommandLine.version)\n"))
        #expect(text.contains("platform: \(Platform.detect())\n"))
        #expect(["kvm-pvm", "AMD SVM", "Intel VMX"].contains { text.contains("platform: \($0)") })
    }

    @Test func reportsMissingProgramWith127() throws {
        let result = try tools.runHypervisor(["/nonexistent/program"])
        #expect(result.status == 127)
        #expect(result.stderr.contains("/nonexistent/program"))
    }

    @Test func refusesDirectoryWith126() throws {
        let result = try tools.runHypervisor([NSTemporaryDirectory()])
        #expect(result.status == 126)
        #expect(result.stderr.contains("is a directory"))
    }

    @Test func refusesDynamicallyLinkedProgramWith126() throws {
        let result = try tools.runHypervisor(["/bin/true"])
        #expect(result.status == 126)
        #expect(result.stderr.contains("dynamically linked"))
    }

    @Test func nullWriteDiesLikeSIGSEGVWithReport() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: movq $1, 0
            """)
        let result = try tools.runHypervisor([program])
        #expect(result.status == 139)
        #expect(result.stderr.contains("page fault"))
    }

    @Test func invalidOpcodeDiesLikeSIGILL() throws {
        let program = try tools.assemble("""
            .globl _start
            _start: ud2
            """)
        let result = try tools.runHypervisor([program])
        #expect(result.status == 132)
        #expect(result.stderr.contains("#UD"))
    }

    @Test func rejectsBadMemorySize() throws {
        let result = try tools.runHypervisor(["--memory", "lots", "/bin/true"])
        #expect(result.status == 125)
        #expect(result.stderr.contains("memory size"))
    }
}

/// The release build's `hypervisor` and kernel image, and a scratch directory.
struct BuiltTools {
    let hypervisor: URL
    let scratch: URL

    struct Result {
        var status: Int32
        var stdout: Data
        var stderrData: Data
        var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static func locate() throws -> BuiltTools {
        let hypervisor = packageRoot.appendingPathComponent(".build/release/hypervisor")
        let kernel = packageRoot.appendingPathComponent(".build/release/unikernel.elf")
        for file in [hypervisor, kernel] where !FileManager.default.fileExists(atPath: file.path) {
            throw Missing(description: "\(file.path) is missing: run `make` (or `make test`) first")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("runner-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return BuiltTools(hypervisor: hypervisor, scratch: scratch)
    }

    /// Assembles a static `_start` program with gcc and returns its path.
    func assemble(_ source: String) throws -> String {
        let name = UUID().uuidString
        let sourceURL = scratch.appendingPathComponent(name + ".S")
        let binary = scratch.appendingPathComponent(name)
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let result = try run(URL(fileURLWithPath: "/usr/bin/gcc"), ["-nostdlib", "-static", "-o", binary.path, sourceURL.path])
        guard result.status == 0 else { throw Missing(description: "gcc failed: \(result.stderr)") }
        return binary.path
    }

    func runHypervisor(_ arguments: [String], stdin: Data = Data()) throws -> Result {
        try run(hypervisor, ["--dir", scratch.path] + arguments, stdin: stdin)
    }

    func run(_ executable: URL, _ arguments: [String], stdin: Data = Data()) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(status: status, stdout: outData, stderrData: errData)
    }
}
