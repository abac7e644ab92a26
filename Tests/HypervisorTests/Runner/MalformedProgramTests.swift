import Foundation
import Testing

/// The real `hypervisor` command refuses every malformed program with exit status 126 (127 for a
/// missing one) and a single stderr line naming the file and the problem.
///
/// No KVM needed: `Machine` reads and checks the program before it opens `/dev/kvm`. It reads
/// and checks the kernel image first, though, so the release build's `unikernel.elf` must be
/// present and well formed (`BuiltTools.locate()` says to run `make` otherwise).
@Suite("hypervisor refuses malformed programs")
final class MalformedProgramTests {
    let tools: BuiltTools

    init() throws {
        tools = try BuiltTools.locate()
    }

    deinit {
        try? FileManager.default.removeItem(at: tools.scratch)
    }

    /// One malformed file from the loader tests' generator (`MalformedELF`) and a fragment of
    /// the message the runner must print for it.
    struct Sample: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let problem: String
        /// Runner options before the program (a memory limit the image must exceed).
        var options: [String] = []
        var testDescription: String { name }
    }

    static let samples: [Sample] = [
        Sample(name: "empty-file", bytes: MalformedELF.emptyFile(), problem: "empty file, not an ELF program"),
        Sample(
            name: "truncated-header", bytes: MalformedELF.truncatedHeader(),
            problem: "truncated ELF header: the file is 40 bytes"),
        Sample(
            name: "bad-magic", bytes: MalformedELF.badMagic(),
            problem: "not an ELF file: starts with 23 21 2f 62"),
        Sample(
            name: "wrong-class", bytes: MalformedELF.wrongClass(),
            problem: "ELFCLASS32 file: only 64-bit (ELFCLASS64) programs run"),
        Sample(
            name: "wrong-endianness", bytes: MalformedELF.wrongDataEncoding(),
            problem: "big-endian (ELFDATA2MSB) file: only little-endian"),
        Sample(name: "wrong-version", bytes: MalformedELF.wrongVersion(), problem: "unsupported ELF version"),
        Sample(
            name: "wrong-machine", bytes: MalformedELF.wrongMachine(),
            problem: "built for machine 183 (EM_AARCH64): only x86-64"),
        Sample(name: "et-rel", bytes: MalformedELF.unsupportedType(1), problem: "ELF type 1 (ET_REL) cannot run"),
        Sample(name: "et-core", bytes: MalformedELF.unsupportedType(4), problem: "ELF type 4 (ET_CORE) cannot run"),
        Sample(
            name: "wrong-phentsize", bytes: MalformedELF.wrongProgramHeaderEntrySize(),
            problem: "program header entry size (e_phentsize) is 32, expected 56"),
        Sample(
            name: "too-many-program-headers", bytes: MalformedELF.tooManyProgramHeaders(),
            problem: "129 program headers, more than the 128 the loader accepts"),
        Sample(
            name: "program-headers-past-end-of-file", bytes: MalformedELF.programHeadersPastEndOfFile(),
            problem: "program headers at offset 0x1fac extend past the end of the file"),
        Sample(
            name: "program-headers-offset-wrapping", bytes: MalformedELF.programHeadersOffsetWrapping(),
            problem: "program headers at offset 0xffffffffffffffff extend past the end of the file"),
        Sample(
            name: "pt-interp", bytes: MalformedELF.dynamicallyLinked(),
            problem: "dynamically linked: its interpreter /lib64/ld-linux-x86-64.so.2 cannot be loaded from the guest's file system (No such file or directory)"),
        Sample(
            name: "no-loadable-segment", bytes: MalformedELF.noLoadableSegment(),
            problem: "no loadable segment"),
        Sample(
            name: "only-empty-load-segments", bytes: MalformedELF.onlyEmptyLoadSegments(),
            problem: "no loadable segment"),
        Sample(
            name: "segment-past-end-of-file", bytes: MalformedELF.segmentPastEndOfFile(),
            problem: "program header 2 (PT_LOAD) file bytes at offset 0x2000 size 0x100 extend past the end of the file"),
        Sample(
            name: "segment-offset-wrapping", bytes: MalformedELF.segmentOffsetWrapping(),
            problem: "program header 2 (PT_LOAD) file bytes at offset 0xfffffffffffffff8"),
        Sample(
            name: "filesz-exceeds-memsz", bytes: MalformedELF.segmentFileSizeExceedsMemorySize(),
            problem: "program header 2 (PT_LOAD) has p_filesz 0x2000 larger than p_memsz 0x1010"),
        Sample(
            name: "huge-memsz-64mib", bytes: MalformedELF.imageLargerThan64MiB(),
            problem: "image spans 0x4002000 bytes: needs 65 MiB, guest memory offers", options: ["--memory", "64M"]),
        Sample(
            name: "huge-memsz-1tib", bytes: MalformedELF.with { $0.headers[2].memorySize = 1 << 40 },
            problem: "image spans 0x10000002000 bytes: needs 1048577 MiB, guest memory offers"),
        Sample(
            name: "segments-overlap", bytes: MalformedELF.segmentsOverlap(),
            problem: "program header 2 (PT_LOAD) at vaddr 0x401004-0x402014 overlaps program header 1 at 0x401000-0x401009"),
        Sample(
            name: "segment-in-kernel-half", bytes: MalformedELF.segmentInKernelHalf(),
            problem: "program header 0 (PT_LOAD) at 0xffffffff80000000-0xffffffff80000120 reaches the kernel's half"),
        Sample(
            name: "segment-straddling-user-limit", bytes: MalformedELF.segmentStraddlingUserLimit(),
            problem: "program header 2 (PT_LOAD) at 0x7ffffffff000-0x800000001000 reaches the kernel's half"),
        Sample(
            name: "kernel-as-program", bytes: MalformedELF.kernel().bytes(),
            problem: "program header 0 (PT_LOAD) at 0xffffffff80200000-0xffffffff80200003 reaches the kernel's half"),
        Sample(
            name: "address-space-wrap-around", bytes: MalformedELF.segmentAddressWrapping(),
            problem: "program header 2 at vaddr 0xfffffffffffff000 size 0x2000 (load bias 0x0) wraps around the address space"),
        Sample(
            name: "segment-below-minimum-address", bytes: MalformedELF.segmentBelowMinimumAddress(),
            problem: "program header 0 (PT_LOAD) at vaddr 0x0 is below 0x10000 (mmap_min_addr)"),
        Sample(
            name: "segment-offset-not-congruent", bytes: MalformedELF.segmentOffsetNotCongruent(),
            problem: "program header 2 (PT_LOAD) vaddr 0x402000 and file offset 0x2008 differ modulo the page size"),
        Sample(
            name: "entry-in-data-segment", bytes: MalformedELF.entryInDataSegment(),
            problem: "entry point 0x402000 is not inside any executable (PF_X) segment"),
        Sample(
            name: "entry-outside-every-segment", bytes: MalformedELF.entryOutsideEverySegment(),
            problem: "entry point 0x0 is not inside any executable (PF_X) segment"),
    ]

    @Test(arguments: samples)
    func refusesMalformedProgramWith126(_ sample: Sample) throws {
        let path = try tools.write(sample.bytes, named: sample.name)
        let result = try tools.runHypervisor(sample.options + [path])
        #expect(result.status == 126)
        expectOneLine(result, naming: path, problem: sample.problem)
    }

    @Test func refusesDirectoryWith126() throws {
        let result = try tools.runHypervisor([tools.scratch.path])
        #expect(result.status == 126)
        expectOneLine(result, naming: tools.scratch.path, problem: "is a directory, not a program")
    }

    @Test func reportsNonexistentProgramWith127() throws {
        let path = tools.scratch.appendingPathComponent("no-such-program").path
        let result = try tools.runHypervisor([path])
        #expect(result.status == 127)
        expectOneLine(result, naming: path, problem: "cannot read the program: No such file or directory")
    }

    @Test func refusesPathThroughARegularFileWith126() throws {
        let file = try tools.write(MalformedELF.staticExecutable().bytes(), named: "regular-file")
        let path = file + "/program"
        let result = try tools.runHypervisor([path])
        #expect(result.status == 126)
        expectOneLine(result, naming: path, problem: "cannot read the program: Not a directory")
    }

    /// A valid program with mode 000. Root reads any file (CAP_DAC_OVERRIDE), so as root the
    /// hypervisor runs under `setpriv` without that capability.
    @Test(.enabled(if: BuiltTools.canRunUnprivileged, "running as root without /usr/bin/setpriv: root can read a mode-000 file"))
    func refusesUnreadableProgramWith126() throws {
        let path = try tools.write(MalformedELF.staticExecutable().bytes(), named: "mode-000")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        let result = try tools.runHypervisorUnprivileged([path])
        #expect(result.status == 126)
        expectOneLine(result, naming: path, problem: "cannot read the program: Permission denied")
    }

    /// A valid, readable program in a directory that cannot be searched (mode 000). Root
    /// searches any directory (CAP_DAC_READ_SEARCH), so as root the hypervisor runs under
    /// `setpriv` without that capability.
    @Test(.enabled(if: BuiltTools.canRunUnprivileged, "running as root without /usr/bin/setpriv: root can search a mode-000 directory"))
    func refusesProgramInUnsearchableDirectoryWith126() throws {
        let directory = tools.scratch.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        let path = try tools.write(MalformedELF.staticExecutable().bytes(), named: "locked/program")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: directory.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path) }
        let result = try tools.runHypervisorUnprivileged([path])
        #expect(result.status == 126)
        expectOneLine(result, naming: path, problem: "cannot read the program: Permission denied")
    }

    /// stderr is exactly one line, `hypervisor: <path>: ...<problem>...`, and stdout is empty.
    private func expectOneLine(
        _ result: BuiltTools.Result, naming path: String, problem: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "stderr is not one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("hypervisor: \(path): "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(problem), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }
}
