import Foundation
import Glibc
import Testing

@testable import Hypervisor
import UnikernelABI

/// A guest that tries every way out of `--dir` it knows (Tests/Hostile/escape_attempts.c)
/// must leave every file outside the root exactly as it was: same bytes, mode, owner, link
/// count, inode and times, and no new names beside it. Writes that resolve beneath the root
/// (`/../x` is `ROOT/x`) are allowed and must land there; under `--read-only` every write
/// is EROFS and the root does not change either.
@Suite("sandbox escape attempts",
       .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)),
       .enabled(if: BuiltTools.muslGCC != nil, Comment(rawValue: BuiltTools.muslMissing)))
struct SandboxEscapeTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    /// BASE holds the canaries and the root:
    ///
    ///     BASE/canary                  "CANARY-OUTSIDE <secret>"
    ///     BASE/canary-dir/file         "CANARY-DIR <secret>"
    ///     BASE/guest-root/             --dir
    ///         inside.txt, race-inside, sub/deeper/,
    ///         abs-link -> BASE/canary, rel-link -> ../canary,
    ///         dir-link -> BASE/canary-dir, dir-rel-link -> ../canary-dir,
    ///         slash-link -> /, updir-link -> ../../../../../.., up -> ..
    struct Layout {
        var base: String
        var root: String
        var secret: String
        var canary: String { base + "/canary" }
    }

    func makeLayout() throws -> Layout {
        let base = tools.scratch.appendingPathComponent("escape-\(UUID().uuidString)").path
        let root = base + "/guest-root"
        let secret = UUID().uuidString
        let files = FileManager.default
        try files.createDirectory(atPath: root + "/sub/deeper", withIntermediateDirectories: true)
        // Its own (empty) /etc, so no generated one: the host's /etc/passwd must stay out of reach.
        try files.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try files.createDirectory(atPath: base + "/canary-dir", withIntermediateDirectories: true)
        try Data("CANARY-OUTSIDE \(secret)\n".utf8).write(to: URL(fileURLWithPath: base + "/canary"))
        try Data("CANARY-DIR \(secret)\n".utf8).write(to: URL(fileURLWithPath: base + "/canary-dir/file"))
        try Data("INSIDE\n".utf8).write(to: URL(fileURLWithPath: root + "/inside.txt"))
        try Data("INSIDE-RACE\n".utf8).write(to: URL(fileURLWithPath: root + "/race-inside"))
        let links = [
            "abs-link": base + "/canary", "rel-link": "../canary", "dir-link": base + "/canary-dir",
            "dir-rel-link": "../canary-dir", "slash-link": "/", "updir-link": "../../../../../..", "up": "..",
        ]
        for (name, target) in links {
            try files.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }
        // Distinct times, so a touched canary cannot keep its mtime by luck.
        for path in [base + "/canary", base + "/canary-dir/file", base + "/canary-dir"] {
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 123_456_789), timespec(tv_sec: 1_000_000_000, tv_nsec: 123_456_789)]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        return Layout(base: base, root: root, secret: secret)
    }

    /// Runs the guest program on `layout`'s root and returns its status and output.
    func runAttempts(_ layout: Layout, readOnly: Bool) throws -> (status: Int32, stdout: String, stderr: String) {
        let program = try tools.buildHostile("escape_attempts")
        let result = try tools.run(tools.hypervisor, (readOnly ? ["--read-only"] : [])
            + ["--dir", layout.root, "--timeout", "300", program, "attempts", layout.base])
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }

    /// The checks every run must pass: everything outside the root unchanged, no escape
    /// reported by the guest, and the canaries' secret never read.
    func expectConfined(_ layout: Layout, before: [Entry], stdout: String, stderr: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let changes = Entry.differences(before, Entry.snapshot(layout.base, skipping: layout.root))
        #expect(changes.isEmpty, """
            SANDBOX ESCAPE: the guest changed files outside its root:
            \(changes.joined(separator: "\n"))
            guest output:
            \(stdout)
            stderr: \(stderr.suffix(4000))
            """, sourceLocation: sourceLocation)
        let escapes = stdout.split(separator: "\n").filter { $0.hasPrefix("ESCAPE") }
        #expect(escapes.isEmpty, "SANDBOX ESCAPE: the guest read a file outside its root:\n\(escapes.joined(separator: "\n"))",
                sourceLocation: sourceLocation)
        #expect(!stdout.contains(layout.secret), "SANDBOX ESCAPE: the canary's secret is in the guest's output:\n\(stdout)",
                sourceLocation: sourceLocation)
    }

    /// `expectConfined`, and the attempts program ran to its summary line.
    func expectCompleted(_ layout: Layout, before: [Entry], run: (status: Int32, stdout: String, stderr: String),
                         sourceLocation: SourceLocation = #_sourceLocation) {
        expectConfined(layout, before: before, stdout: run.stdout, stderr: run.stderr, sourceLocation: sourceLocation)
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(4000))", sourceLocation: sourceLocation)
        #expect(run.stdout.contains("escape_attempts: ") && run.stdout.contains(" 0 escapes"),
                "the summary line is missing:\n\(run.stdout.suffix(4000))", sourceLocation: sourceLocation)
    }

    /// The attempt lines (`R|W op "path" ["path2"] -> result [creates NAME]`).
    static func attemptLines(_ stdout: String) -> [Substring] {
        stdout.split(separator: "\n").filter { $0.hasPrefix("R ") || $0.hasPrefix("W ") }
    }

    static func result(of line: Substring) -> Substring {
        guard let arrow = line.range(of: " -> ", options: .backwards) else { return "" }
        return line[arrow.upperBound...].prefix { $0 != " " }
    }

    /// The quoted paths of an attempt line, with "." and ".." folded as the guest folds them.
    static func paths(of line: Substring) -> [String] {
        let quoted = line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
        return quoted.map { item in
            var parts: [Substring] = []
            for part in item.element.split(separator: "/") {
                if part == "." { continue }
                if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
                parts.append(part)
            }
            return "/" + parts.joined(separator: "/")
        }
    }

    @Test func everyEscapeAttemptStaysInsideTheRoot() throws {
        let layout = try makeLayout()
        let before = Entry.snapshot(layout.base, skipping: layout.root)
        let run = try runAttempts(layout, readOnly: false)
        expectCompleted(layout, before: before, run: run)

        let lines = SandboxEscapeTests.attemptLines(run.stdout)
        #expect(lines.count > 1500, "the guest made only \(lines.count) attempts:\n\(run.stdout.suffix(4000))")
        // Every create that succeeded resolved beneath the root: the name is there now.
        let names = Set(Entry.snapshot(layout.root, skipping: nil).map { $0.name })
        var created = 0
        for line in lines where SandboxEscapeTests.result(of: line) == "ok" {
            guard let tag = line.range(of: " [creates ", options: .backwards) else { continue }
            let name = Array(line[tag.upperBound...].dropLast().utf8)
            created += 1
            // A name with odd bytes after its number (o345\n\xff\x01) is matched by its prefix.
            let found = names.contains(name) || names.contains {
                $0.count > name.count && $0.starts(with: name) && !(0x30...0x39).contains($0[name.count])
            }
            #expect(found, "\(line): no \(String(decoding: name, as: UTF8.self)) beneath the root")
        }
        #expect(created > 100, "only \(created) creates resolved inside the root")
        // What resolves inside must work: "../canary" names ROOT/canary, a ".." chain of
        // PATH_MAX - 1 bytes is a path like any other, and the links resolve as if ROOT were "/".
        for expected in ["W open-creat \"../canary\" -> ok", "(4095 bytes)", "W open-creat via own link \"/mk",
                         "R list \"/dir-link/..\" -> ok", "R list \"/up\" -> ok (entries:"] {
            #expect(run.stdout.contains(expected), "no line with \(expected)")
        }
        let chains = lines.filter { $0.contains("(4095 bytes)") && $0.hasPrefix("W creat-excl ") }
        #expect(chains.count == 1 && chains.allSatisfy { $0.contains("-> ok") }, "\(chains)")
    }

    @Test func readOnlyRefusesEveryWriteAndChangesNothing() throws {
        let layout = try makeLayout()
        let outsideBefore = Entry.snapshot(layout.base, skipping: layout.root)
        let rootBefore = Entry.snapshot(layout.root, skipping: nil)
        let run = try runAttempts(layout, readOnly: true)
        expectCompleted(layout, before: outsideBefore, run: run)

        let rootChanges = Entry.differences(rootBefore, Entry.snapshot(layout.root, skipping: nil))
        #expect(rootChanges.isEmpty, "--read-only: the root changed:\n\(rootChanges.joined(separator: "\n"))\n\(run.stdout)")
        let writes = SandboxEscapeTests.attemptLines(run.stdout).filter { $0.hasPrefix("W ") }
        #expect(writes.count > 1000, "only \(writes.count) write attempts:\n\(run.stdout.suffix(4000))")
        for line in writes {
            let result = SandboxEscapeTests.result(of: line)
            // A path longer than PATH_MAX is refused before anything looks at the file system.
            // The guest's /tmp is its private directory, writable under a read-only root (as a
            // tmpfs /tmp over a read-only Linux root): the host's temporary paths the attempts
            // name are not there, so writes to them find nothing (the outside is checked above).
            let inPrivateTmp = SandboxEscapeTests.paths(of: line).contains { $0 == "/tmp" || $0.hasPrefix("/tmp/") }
            // /proc is the guest kernel's own (nothing in it can be created); the kernel folds
            // ".." before following its links, so "/proc/self/cwd/../canary" names
            // /proc/<pid>/canary, which does not exist.
            let inProc = SandboxEscapeTests.paths(of: line).allSatisfy { $0.hasPrefix("/proc/") }
            let allowed = result == "EROFS" || (result == "ENAMETOOLONG" && line.contains("(over PATH_MAX)"))
                || (inPrivateTmp && (result == "ENOENT" || result == "EXDEV"))
                || (inProc && (result == "ENOENT" || result == "EACCES"))
            #expect(allowed, "--read-only: \(line)")
        }
    }

    /// The guest opens `/race` O_WRONLY|O_CREAT|O_TRUNC and writes "PWNED" in a loop while
    /// a host thread swaps ROOT/race (rename of a prepared link, atomic) between a link to a
    /// file inside and links to the canary (absolute and `../canary`) and its directory.
    @Test func symlinkSwappedDuringTheRunNeverRedirectsAWriteOutside() throws {
        let layout = try makeLayout()
        let program = try tools.buildHostile("escape_attempts")
        let before = Entry.snapshot(layout.base, skipping: layout.root)
        let race = layout.root + "/race"
        let targets = ["race-inside", layout.canary, "../canary", layout.base + "/canary-dir/file",
                       "/proc/self/root" + layout.canary, "race-inside"]
        #expect(symlink("race-inside", race) == 0)

        let swapper = Swapper()
        let thread = Thread {
            var index = 0
            while !swapper.isStopped {
                let prepared = layout.root + "/.race-\(index % 2)"
                unlink(prepared)
                if symlink(targets[index % targets.count], prepared) == 0, rename(prepared, race) == 0 { swapper.count() }
                index += 1
            }
            swapper.finish()
        }
        thread.start()
        let result = try tools.spawnMeasured(
            tools.hypervisor.path, ["--dir", layout.root, "--timeout", "120", program, "race", "1.5"]
        ) { _, waitForOutput in
            _ = waitForOutput("race: done", 100)
        }
        swapper.stop()
        let stdout = String(decoding: result.stdout, as: UTF8.self)

        let run = (result.status, stdout + "\nescape_attempts: race, 0 escapes", result.stderr)
        expectCompleted(layout, before: before, run: run)
        #expect(stdout.contains("race: done"), "\(stdout)\n\(result.stderr.suffix(2000))")
        #expect(swapper.swaps > 100, "the host swapped the link only \(swapper.swaps) times")
        // Some opens got through (to the inside file or ROOT/canary), so the race was real.
        let opened = stdout.split(separator: "\n").first { $0.hasPrefix("race: ") && $0.contains(" opened") }
        #expect(opened.map { !$0.hasPrefix("race: 0 opened") } ?? false, "no open succeeded: \(stdout)")
        print("symlink race: \(swapper.swaps) swaps; \(opened ?? "?")")
    }
}

/// The swapping thread's stop flag and count.
private final class Swapper: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var stopped = false
    private var swapCount = 0

    var isStopped: Bool { lock.withLock { stopped } }
    var swaps: Int { lock.withLock { swapCount } }
    func count() { lock.withLock { swapCount += 1 } }
    func finish() { done.signal() }
    /// Stops the thread and waits for it.
    func stop() {
        lock.withLock { stopped = true }
        done.wait()
    }
}

/// One file-system entry as `lstat` and its bytes describe it; everything a write,
/// chmod, utimensat, link, rename or unlink would change (not the access time).
struct Entry: Equatable {
    var path: [UInt8]
    var name: [UInt8]
    var mode: UInt32
    var owner: UInt32
    var group: UInt32
    var links: UInt
    var inode: UInt
    var size: Int
    var modified: timespec
    var changed: timespec
    /// A file's bytes, a symlink's text, a directory's nothing.
    var contents: [UInt8]

    static func == (a: Entry, b: Entry) -> Bool {
        a.path == b.path && a.mode == b.mode && a.owner == b.owner && a.group == b.group && a.links == b.links
            && a.inode == b.inode && a.size == b.size && a.contents == b.contents
            && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
            && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }

    var description: String {
        let kind = mode & S_IFMT == S_IFDIR ? "dir" : mode & S_IFMT == S_IFLNK ? "link" : "file"
        let shown = String(decoding: contents.prefix(60), as: UTF8.self).debugDescription
        return "\(String(decoding: path, as: UTF8.self).debugDescription) \(kind) mode \(String(mode & 0o7777, radix: 8)) "
            + "owner \(owner):\(group) links \(links) inode \(inode) size \(size) mtime \(modified.tv_sec).\(modified.tv_nsec) "
            + "ctime \(changed.tv_sec).\(changed.tv_nsec) contents \(shown)"
    }

    /// `directory` itself and everything beneath it, not following links; the subtree
    /// at `skipping` is left out (its own entry too). Names are raw bytes.
    static func snapshot(_ directory: String, skipping: String?) -> [Entry] {
        var entries: [Entry] = []
        walk(Array(directory.utf8), name: Array(directory.utf8), skipping: skipping.map { Array($0.utf8) }, into: &entries)
        return entries
    }

    private static func walk(_ path: [UInt8], name: [UInt8], skipping: [UInt8]?, into entries: inout [Entry]) {
        if path == skipping { return }
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        var info = stat()
        guard lstat(cPath, &info) == 0 else { return }
        var contents: [UInt8] = []
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let fd = open(cPath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(fd, &chunk, chunk.count)
                    if n <= 0 { break }
                    contents += chunk[0..<n]
                }
                close(fd)
            }
        case S_IFLNK:
            var text = [CChar](repeating: 0, count: 4097)
            let n = readlink(cPath, &text, 4096)
            if n > 0 { contents = text[0..<n].map { UInt8(bitPattern: $0) } }
        default:
            break
        }
        entries.append(Entry(path: path, name: name, mode: info.st_mode, owner: info.st_uid, group: info.st_gid,
                             links: UInt(info.st_nlink), inode: UInt(info.st_ino), size: info.st_size,
                             modified: info.st_mtim, changed: info.st_ctim, contents: contents))
        guard info.st_mode & S_IFMT == S_IFDIR, let stream = opendir(cPath) else { return }
        defer { closedir(stream) }
        var children: [[UInt8]] = []
        while let entry = readdir(stream) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if child != Array(".".utf8), child != Array("..".utf8) { children.append(child) }
        }
        for child in children.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            walk(path + [UInt8(ascii: "/")] + child, name: child, skipping: skipping, into: &entries)
        }
    }

    /// What differs between two snapshots, one line per entry.
    static func differences(_ before: [Entry], _ after: [Entry]) -> [String] {
        let old = Dictionary(before.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var lines: [String] = []
        for entry in before {
            guard let now = new[entry.path] else { lines.append("removed: \(entry.description)"); continue }
            if now != entry { lines.append("changed: \(entry.description)\n     now: \(now.description)") }
        }
        for entry in after where old[entry.path] == nil { lines.append("new: \(entry.description)") }
        return lines
    }
}

/// Names the host creates for the guest are the guest's bytes, whatever they are.
@Suite("sandbox name fidelity")
struct SandboxNameTests {
    /// Every operation that creates a name (mkdir, symlink, link, rename) passes its final
    /// component to the host as raw bytes: `mkdir("/a\xff\n\x01")` makes exactly that name
    /// (decoding it as UTF-8 once turned 0xff into U+FFFD, a name the guest could not open).
    @Test func namesWithInvalidUTF8AreCreatedVerbatim() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let table = try HostFileTable(rootDirectory: base.path)
        let name: [UInt8] = [0x61, 0xFF, 0x0A, 0x01]
        let request = HostFileTable.PathRequest(operation: UK_PATH_MKDIR.rawValue, path: [UInt8(ascii: "/")] + name, mode: 0o755)
        #expect(table.perform(request, buffer: nil) == 0)
        let made = Entry.snapshot(base.path, skipping: nil).dropFirst().map { $0.name }
        // withParent passes the final component to the host byte for byte.
        #expect(made == [name], "created \(made.map { $0.map { String($0, radix: 16) } })")
    }
}
