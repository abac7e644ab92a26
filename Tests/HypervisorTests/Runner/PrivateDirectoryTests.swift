import Foundation
import Glibc
import Testing

/// The guest's private /tmp, /dev and /etc end to end: made on the host only when the guest
/// first needs them, shared by a forked child and handed to the runner an execve starts, and
/// gone after the run (`PrivateDirectories`).
@Suite("private /tmp, /dev and /etc",
       .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)),
       .enabled(if: BuiltTools.muslGCC != nil, Comment(rawValue: BuiltTools.muslMissing)))
struct PrivateDirectoryTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    /// One program, several scenarios (argv[1]); it prints what it read and exits 0, or names
    /// the call that failed and exits 1.
    static let source = #"""
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>

        static int put(const char *path, const char *text) {
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0) { perror(path); return -1; }
            write(fd, text, strlen(text));
            return close(fd);
        }

        static int show(const char *label, const char *path) {
            char buffer[64] = {0};
            int fd = open(path, O_RDONLY);
            if (fd < 0) { perror(path); return 1; }
            read(fd, buffer, sizeof buffer - 1);
            close(fd);
            printf("%s:%s\n", label, buffer);
            return 0;
        }

        int main(int argc, char **argv) {
            if (argc < 2) return 2;
            if (!strcmp(argv[1], "fork")) {          /* fork before anything touched /tmp */
                pid_t child = fork();
                if (child == 0) _exit(put("/tmp/from-child", "child") != 0);
                int status = 0;
                waitpid(child, &status, 0);
                return show("fork", "/tmp/from-child");
            }
            if (!strcmp(argv[1], "exec-after-use")) { /* the made directory goes to the next runner */
                if (put("/tmp/before-exec", "kept") != 0) return 1;
                execl("/prog", "prog", "read", (char *)0);
                perror("execl");
                return 1;
            }
            if (!strcmp(argv[1], "read")) return show("exec", "/tmp/before-exec");
            if (!strcmp(argv[1], "exec-first")) {     /* nothing made yet: the next runner makes it */
                execl("/prog", "prog", "use", (char *)0);
                perror("execl");
                return 1;
            }
            if (!strcmp(argv[1], "use")) {
                if (put("/tmp/used", "made") != 0) return 1;
                return show("use", "/tmp/used");
            }
            return 2;
        }
        """#

    /// The program, compiled with musl-gcc and placed in a fresh guest root as /prog.
    func placedProgram() throws -> (program: String, root: URL) {
        guard let gcc = BuiltTools.muslGCC else { throw BuiltTools.Missing(description: BuiltTools.muslMissing) }
        let root = tools.scratch.appendingPathComponent("root-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let sourceFile = tools.scratch.appendingPathComponent("private_directories.c")
        try PrivateDirectoryTests.source.write(to: sourceFile, atomically: true, encoding: .utf8)
        let program = root.appendingPathComponent("prog")
        let built = try tools.run(URL(fileURLWithPath: gcc), ["-static", "-O1", "-o", program.path, sourceFile.path])
        guard built.status == 0 else { throw BuiltTools.Missing(description: "musl-gcc failed: \(built.stderr)") }
        return (program.path, root)
    }

    /// Runs /prog with `scenario`, its private directory made (if at all) under a fresh TMPDIR;
    /// returns the run and what that TMPDIR holds afterwards.
    func run(_ scenario: String, tmpdir: String? = nil) throws -> (BuiltTools.Measured, [String]) {
        let (program, root) = try placedProgram()
        let parent = tools.scratch.appendingPathComponent("tmpdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--timeout", "60", "--dir", root.path, program, scenario],
                                             environment: ["TMPDIR": tmpdir ?? parent.path])
        return (result, try FileManager.default.contentsOfDirectory(atPath: parent.path))
    }

    @Test func aProgramThatNeverUsesThemNeedsNoPrivateDirectory() throws {
        let hello = try tools.assemble("""
            .globl _start
            _start: mov $1, %eax            # write(1, message, 6)
                    mov $1, %edi
                    lea message(%rip), %rsi
                    mov $6, %edx
                    syscall
                    mov $60, %eax           # exit(0)
                    xor %edi, %edi
                    syscall
            message: .ascii "hello\\n"
            """)
        // A TMPDIR where nothing can be made: the runner's start used to fail on it.
        let result = try tools.spawnMeasured(tools.hypervisor.path, ["--dir", tools.scratch.path, hello],
                                             environment: ["TMPDIR": "/nonexistent/unikernel-tests"])
        #expect(result.status == 0)
        #expect(String(decoding: result.stdout, as: UTF8.self) == "hello\n")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test func aPrivateDirectoryThatCannotBeMadeIsReportedWhenFirstNeeded() throws {
        let (result, _) = try run("use", tmpdir: "/nonexistent/unikernel-tests")
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot set up the guest's /tmp and /dev: mkdtemp in /nonexistent/unikernel-tests"),
                "\(result.stderr)")
        #expect(result.stderr.contains("/tmp/used: No such file or directory"), "\(result.stderr)")
    }

    @Test func aForkedChildSharesTheParentsDirectory() throws {
        let (result, left) = try run("fork")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "fork:child\n")
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func anExecHandsItsDirectoryToTheNextRunnerWhichRemovesIt() throws {
        let (result, left) = try run("exec-after-use")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "exec:kept\n")
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func aRunnerAnExecStartsBeforeAnyUseMakesAndRemovesItsOwn() throws {
        let (result, left) = try run("exec-first")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "use:made\n")
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
