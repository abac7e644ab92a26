import XCTest
@testable import Conformance

/// The stack-dump parser, Linux's layout rules and the auxv policy.
final class StackLayoutTests: XCTestCase {
    /// A dump laid out as Linux does: rsp at 0x7ffc0000, auxv ending at +0x150, then the
    /// random bytes, "x86_64", argv strings, env strings and the execfn string.
    private func linuxDump(random: String = "00112233445566778899aabbccddeeff",
                           extraAux: [(UInt64, UInt64)] = [(33, 0x7fff0000), (27, 0x1c), (28, 0x20)],
                           replacing: [UInt64: UInt64] = [:], rsp: UInt64 = 0x7ffc0000) -> String {
        let auxEnd = rsp + 0x150
        let randomAt = auxEnd + 0x9, platformAt = randomAt + 16
        let argv0 = platformAt + 7 + 0x1000, argv1 = argv0 + 7, env0 = argv1 + 4, execfn = env0 + 4
        var aux: [(UInt64, UInt64)] = [(51, 0xd30), (16, 0x178bfbff), (6, 0x1000), (17, 100), (3, 0x400040), (4, 56),
                                       (5, 5), (7, 0), (8, 0), (9, 0x401000), (11, 1000), (12, 1000), (13, 1000),
                                       (14, 1000), (23, 0), (25, randomAt), (26, 2), (31, execfn), (15, platformAt)]
        aux += extraAux
        aux = aux.map { ($0.0, replacing[$0.0] ?? $0.1) }
        var lines = ["rsp 0x\(String(rsp, radix: 16))", "rsp_mod16 \(rsp % 16)", "argc 2",
                     "argv 0 0x\(String(argv0, radix: 16)) /bin/x", "argv 1 0x\(String(argv1, radix: 16)) one",
                     "envp 0 0x\(String(env0, radix: 16)) A=b"]
        lines += aux.map { "auxv \($0.0) 0x\(String($0.1, radix: 16))" }
        lines += ["auxv_end 0x\(String(auxEnd, radix: 16))", "random \(random)", "execfn /bin/x", "platform x86_64"]
        return lines.joined(separator: "\n") + "\n"
    }

    private func dump(_ text: String) throws -> StackDump {
        try StackDump.parse(text)
    }

    /// What the guest should look like: its own vDSO address, no rseq, other random bytes and rsp.
    private func guestDump(replacing: [UInt64: UInt64] = [:], random: String = "ffeeddccbbaa99887766554433221100") -> String {
        linuxDump(random: random, extraAux: [(33, 0x7f49_4c97_f000)], replacing: replacing, rsp: 0x7fffffffe000)
    }

    func testParsesEveryRecord() throws {
        let parsed = try dump(linuxDump())
        XCTAssertEqual(parsed.rsp, 0x7ffc0000)
        XCTAssertEqual(parsed.argc, 2)
        XCTAssertEqual(parsed.argv.map(\.text), ["/bin/x", "one"])
        XCTAssertEqual(parsed.envp.map(\.text), ["A=b"])
        XCTAssertEqual(parsed.aux(AuxKey.pagesz), 0x1000)
        XCTAssertEqual(parsed.auxv.count, 22)
        XCTAssertEqual(parsed.random, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        XCTAssertEqual(parsed.execfnString?.text, "/bin/x")
        XCTAssertEqual(parsed.platform, "x86_64")
    }

    func testParsesEmptyAndSpacedStrings() throws {
        let parsed = try dump("rsp 0x10\nrsp_mod16 0\nargc 2\nargv 0 0x20 a b  c\nargv 1 0x27 \nauxv_end 0x20\n")
        XCTAssertEqual(parsed.argv.map(\.text), ["a b  c", ""])
    }

    func testRejectsMalformedDumps() {
        let cases: [(String, String)] = [
            ("rsp 0x10\nrsp_mod16 0\nargc 0\n", "no auxv_end line"),
            ("rsp 10\n", "line 1: expected a 0x hexadecimal number, got \"10\""),
            ("stack 0x10\n", "line 1: unknown record \"stack\""),
            ("argv 1 0x10 x\n", "line 1: argv 1 out of order (expected 0)"),
            ("random 0011\n", "line 1: expected 16 bytes as 32 hexadecimal digits, got \"0011\""),
            ("rsp 0x1\nrsp 0x2\n", "line 2: rsp appears twice"),
            ("auxv 6\n", "line 1: expected `auxv KEY VALUE`"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try StackDump.parse(text), text) { error in
                XCTAssertEqual((error as? StackDumpError)?.description, message)
            }
        }
    }

    func testALinuxLayoutBreaksNoRule() throws {
        XCTAssertEqual(StackLayoutCheck.invariantViolations(of: try dump(linuxDump())), [])
    }

    func testMisalignedStackBreaksTheAlignmentRule() throws {
        var misaligned = try dump(linuxDump())
        misaligned.rsp += 8
        misaligned.rspMod16 = 8
        XCTAssertTrue(StackLayoutCheck.invariantViolations(of: misaligned).contains { $0.hasPrefix("%rsp % 16 is 8") })
    }

    func testPointerBelowTheAuxvIsOutsideTheStringArea() throws {
        var bad = try dump(linuxDump())
        bad.argv[0].address = 0x401000
        let problems = StackLayoutCheck.invariantViolations(of: bad)
        XCTAssertTrue(problems.contains { $0.hasPrefix("argv[0] string at rsp-") && $0.contains("is not in the string area") }, "\(problems)")
    }

    func testAllZeroRandomBytesAreRejected() throws {
        let problems = StackLayoutCheck.invariantViolations(of: try dump(linuxDump(random: String(repeating: "0", count: 32))))
        XCTAssertEqual(problems, ["AT_RANDOM bytes are all zero"])
    }

    func testStringsOutOfOrderOrWithGapsAreRejected() throws {
        var swapped = try dump(linuxDump())
        swap(&swapped.argv[0].address, &swapped.envp[0].address)
        XCTAssertFalse(StackLayoutCheck.invariantViolations(of: swapped).isEmpty)
        var gap = try dump(linuxDump())
        gap.envp[0].address += 8
        XCTAssertTrue(StackLayoutCheck.invariantViolations(of: gap).contains { $0.contains("does not follow argv[1] string directly") })
    }

    func testGuestWithItsOwnVDSOAndNoRseqMatchesNative() throws {
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: try dump(guestDump())), [])
    }

    func testGuestMustHaveAVDSO() throws {
        var guest = try dump(guestDump())
        guest.auxv.removeAll { $0.key == AuxKey.sysinfoEHDR }
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: guest),
                       ["AT_SYSINFO_EHDR: missing in the guest (native 0x7fff0000)"])
    }

    func testEqualKeysMustBeEqual() throws {
        let problems = StackLayoutCheck.compare(native: try dump(linuxDump()), guest: try dump(guestDump(replacing: [16: 0x1234, 23: 1])))
        XCTAssertEqual(problems, ["AT_HWCAP: native 0x178bfbff, guest 0x1234", "AT_SECURE: native 0x0, guest 0x1"])
    }

    func testPresentKeysMayDifferButMustBePresent() throws {
        let differing = StackLayoutCheck.compare(native: try dump(linuxDump()), guest: try dump(guestDump(replacing: [51: 0xc30, 26: 0])))
        XCTAssertEqual(differing, [])
        let guest = try dump(guestDump())
        var missing = guest
        missing.auxv.removeAll { $0.key == AuxKey.minsigstksz }
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: missing),
                       ["AT_MINSIGSTKSZ: missing in the guest (native 0xd30)"])
    }

    func testProgramHeadersAreComparedRelativeToTheEntry() throws {
        let moved = try dump(guestDump(replacing: [3: 0x555555554040, 9: 0x555555555000]))
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: moved),
                       ["AT_ENTRY: native 0x401000, guest 0x555555555000"])
        let shifted = try dump(guestDump(replacing: [3: 0x400080]))
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: shifted),
                       ["AT_PHDR: -4032 bytes from AT_ENTRY natively, -3968 in the guest"])
    }

    func testRandomBytesMustDifferBetweenTheSides() throws {
        let problems = StackLayoutCheck.compare(native: try dump(linuxDump()),
                                                guest: try dump(guestDump(random: "00112233445566778899aabbccddeeff")))
        XCTAssertEqual(problems, ["AT_RANDOM: the guest's 16 bytes equal native's; they must be fresh random bytes"])
    }

    func testStringsMustBeEqual() throws {
        var guest = try dump(guestDump())
        guest.execfn = "/other"
        guest.envp[0].text = "A=c"
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: guest),
                       ["envp[0]: native \"A=b\", guest \"A=c\"", "AT_EXECFN: native \"/bin/x\", guest \"/other\""])
    }

    func testUnknownKeysNeedAPolicy() throws {
        var guest = try dump(guestDump())
        guest.auxv.append(.init(key: 99, value: 1))
        XCTAssertEqual(StackLayoutCheck.compare(native: try dump(linuxDump()), guest: guest),
                       ["AT_99: no policy for this key (guest 0x1); add a row to AuxvPolicy.table"])
    }

    func testUnparsableGuestOutputIsAMismatch() {
        XCTAssertEqual(StackLayoutCheck.compare(native: Array(linuxDump().utf8), guest: Array("hello\n".utf8)),
                       ["guest stdout is not a stack dump: line 1: unknown record \"hello\""])
    }

    func testPolicyTableHasOneRowPerKeyAndKnownBases() {
        let keys = AuxvPolicy.table.map(\.key)
        XCTAssertEqual(Set(keys).count, keys.count)
        for row in AuxvPolicy.table {
            XCTAssertFalse(row.reason.isEmpty, row.name)
            if case let .sameOffset(base) = row.rule { XCTAssertNotNil(AuxvPolicy.rule(for: base), row.name) }
        }
        // What Linux 6.x gives a static x86-64 program, each with a rule.
        for key: UInt64 in [3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 23, 25, 26, 27, 28, 31, 33, 51] {
            XCTAssertNotNil(AuxvPolicy.rule(for: key), "AT_\(key)")
        }
        XCTAssertEqual(AuxvPolicy.rule(for: AuxKey.sysinfoEHDR), .presentMayDiffer)
        XCTAssertEqual(AuxvPolicy.rule(for: AuxKey.random), .randomBytes)
    }

    func testRenderedPolicyNamesEveryKeyAndRule() {
        let text = AuxvPolicy.render()
        for row in AuxvPolicy.table {
            XCTAssertTrue(text.contains(row.name) && text.contains(row.reason), row.name)
        }
        XCTAssertTrue(text.contains("AT_SYSINFO_EHDR       present, may differ"))
    }

    func testStackLayoutFixtureIsComparedStructurallyInTheStackLayoutCategory() throws {
        let spec = FixtureSpec(summary: "x", stdoutComparison: .stackLayout)
        let native = Observation(status: .exited(0), stdout: linuxDump())
        XCTAssertNil(Comparison.checkNative(native, spec: spec))
        XCTAssertEqual(Comparison.compare(native: native, guest: Observation(status: .exited(0), stdout: guestDump()),
                                          timeoutSeconds: 10, spec: spec), .pass)
        let verdict = Comparison.compare(native: native, guest: Observation(status: .exited(0), stdout: guestDump(replacing: [6: 0x2000])),
                                         timeoutSeconds: 10, spec: spec)
        XCTAssertEqual(verdict.category, .stackLayout)
        XCTAssertEqual(verdict.summary, "AT_PAGESZ: native 0x1000, guest 0x2000")
    }

    func testNativeDumpBreakingARuleIsABrokenFixture() {
        let spec = FixtureSpec(summary: "x", stdoutComparison: .stackLayout)
        let verdict = Comparison.checkNative(Observation(status: .exited(0), stdout: "nonsense\n"), spec: spec)
        XCTAssertEqual(verdict?.outcome, .nativeFailure)
    }

    func testReportsPrintThePolicyWhenAStackLayoutFixtureRan() {
        let report = Report(mode: .guest, results: [FixtureResult(libc: .asm, name: "stack_dump", verdict: .pass)],
                            auxvPolicy: AuxvPolicy.entries)
        let text = ReportFormat.text.render(report)
        XCTAssertTrue(text.contains("auxv policy (guest compared with native):"))
        XCTAssertTrue(text.contains("AT_RANDOM"))
        XCTAssertTrue(ReportFormat.markdown.render(report).contains("| 33 | AT_SYSINFO_EHDR | present, may differ |"))
        XCTAssertTrue(ReportFormat.json.render(report).contains("\"auxvPolicy\""))
        XCTAssertFalse(ReportFormat.text.render(Report(mode: .guest, results: [])).contains("auxv policy"))
    }
}
