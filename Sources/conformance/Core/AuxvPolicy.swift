import Foundation

/// Auxiliary-vector keys (Linux `include/uapi/linux/auxvec.h`, `arch/x86/include/uapi/asm/auxvec.h`).
public enum AuxKey {
    public static let null: UInt64 = 0
    public static let phdr: UInt64 = 3
    public static let phent: UInt64 = 4
    public static let phnum: UInt64 = 5
    public static let pagesz: UInt64 = 6
    public static let base: UInt64 = 7
    public static let flags: UInt64 = 8
    public static let entry: UInt64 = 9
    public static let uid: UInt64 = 11
    public static let euid: UInt64 = 12
    public static let gid: UInt64 = 13
    public static let egid: UInt64 = 14
    public static let platform: UInt64 = 15
    public static let hwcap: UInt64 = 16
    public static let clktck: UInt64 = 17
    public static let secure: UInt64 = 23
    public static let random: UInt64 = 25
    public static let hwcap2: UInt64 = 26
    public static let rseqFeatureSize: UInt64 = 27
    public static let rseqAlign: UInt64 = 28
    public static let execfn: UInt64 = 31
    public static let sysinfoEHDR: UInt64 = 33
    public static let minsigstksz: UInt64 = 51
}

/// What the guest's value of one auxv key must be, compared with native Linux.
public enum AuxvRule: Sendable, Equatable {
    /// Present on both sides with the same value.
    case equal
    /// A pointer on both sides to the same NUL-terminated string.
    case sameString
    /// Present on both sides; the value minus the value of `key` is the same (a load-base
    /// independent address, e.g. AT_PHDR relative to AT_ENTRY).
    case sameOffset(from: UInt64)
    /// A pointer on both sides to 16 bytes that are not all zero and differ between the sides.
    case randomBytes
    /// Present in the guest whenever native has it; the value may differ.
    case presentMayDiffer
    /// The guest may omit it; if it has it, the value must equal native's.
    case optionalInGuest
    /// The guest must not have it, even though native does.
    case absentInGuest

    /// The rule in a few words, for the printed policy.
    public var label: String {
        switch self {
        case .equal: "equal"
        case .sameString: "same string"
        case let .sameOffset(key): "same offset from \(AuxvPolicy.name(of: key))"
        case .randomBytes: "16 random bytes, differ"
        case .presentMayDiffer: "present, may differ"
        case .optionalInGuest: "may be missing in guest"
        case .absentInGuest: "absent in guest"
        }
    }
}

/// The auxv policy: for every key Linux gives a static x86-64 program, what the guest must
/// give. This table is the one place the policy lives; `StackLayoutCheck` applies it and
/// `conformance policy` and the run report print it. A key that appears on either side but
/// not in this table is a mismatch ("no policy"), so a new kernel's key cannot slip through.
public enum AuxvPolicy {
    /// One row of the policy.
    public struct Entry: Sendable, Equatable, Codable {
        public var key: UInt64
        public var name: String
        public var rule: String
        public var reason: String
    }

    /// key, name, rule, why.
    public static let table: [(key: UInt64, name: String, rule: AuxvRule, reason: String)] = [
        (AuxKey.phdr, "AT_PHDR", .sameOffset(from: AuxKey.entry),
         "program headers sit at a fixed place in the image; a static-PIE load base may differ"),
        (AuxKey.phent, "AT_PHENT", .equal, "from the ELF header (56)"),
        (AuxKey.phnum, "AT_PHNUM", .equal, "from the ELF header; musl finds PT_TLS with it"),
        (AuxKey.pagesz, "AT_PAGESZ", .equal, "4096; libcs size malloc/mmap with it"),
        (AuxKey.base, "AT_BASE", .equal, "0: a static program has no interpreter"),
        (AuxKey.flags, "AT_FLAGS", .equal, "always 0 on Linux"),
        (AuxKey.entry, "AT_ENTRY", .equal, "the fixture is not PIE: fixed entry address"),
        (AuxKey.uid, "AT_UID", .equal, "the guest runs as the host user"),
        (AuxKey.euid, "AT_EUID", .equal, "as AT_UID; uid != euid makes libcs treat the program as setuid"),
        (AuxKey.gid, "AT_GID", .equal, "the guest runs as the host group"),
        (AuxKey.egid, "AT_EGID", .equal, "as AT_GID"),
        (AuxKey.platform, "AT_PLATFORM", .sameString, "\"x86_64\""),
        (AuxKey.hwcap, "AT_HWCAP", .equal, "CPUID leaf 1 EDX: the guest runs on the same CPU"),
        (AuxKey.clktck, "AT_CLKTCK", .equal, "USER_HZ = 100; sysconf(_SC_CLK_TCK) and times() use it"),
        (AuxKey.secure, "AT_SECURE", .equal, "0; 1 makes libcs sanitise the environment (musl may hlt)"),
        (AuxKey.random, "AT_RANDOM", .randomBytes,
         "fresh random bytes each exec seed the stack-protector and pointer guards"),
        (AuxKey.hwcap2, "AT_HWCAP2", .presentMayDiffer,
         "bit 1 (FSGSBASE) says the kernel enabled user rdfsbase/wrfsbase; the guest may not"),
        (AuxKey.rseqFeatureSize, "AT_RSEQ_FEATURE_SIZE", .optionalInGuest,
         "the guest offers no rseq (the syscall returns ENOSYS)"),
        (AuxKey.rseqAlign, "AT_RSEQ_ALIGN", .optionalInGuest, "as AT_RSEQ_FEATURE_SIZE"),
        (AuxKey.execfn, "AT_EXECFN", .sameString, "the path given to exec, the same on both sides"),
        (AuxKey.sysinfoEHDR, "AT_SYSINFO_EHDR", .presentMayDiffer,
         "the vDSO's ELF header: both kernels map one (clock calls stay in user space), at addresses of their own"),
        (AuxKey.minsigstksz, "AT_MINSIGSTKSZ", .presentMayDiffer,
         "signal frame size follows the XSAVE features the kernel enabled (XCR0)"),
    ]

    /// The rule for `key`, or nil if the policy does not know it.
    public static func rule(for key: UInt64) -> AuxvRule? {
        table.first { $0.key == key }?.rule
    }

    /// `AT_NAME` for a known key, `AT_<number>` otherwise.
    public static func name(of key: UInt64) -> String {
        table.first { $0.key == key }?.name ?? "AT_\(key)"
    }

    /// The table as printable rows.
    public static var entries: [Entry] {
        table.map { Entry(key: $0.key, name: $0.name, rule: $0.rule.label, reason: $0.reason) }
    }

    /// The rules for the rest of the initial stack, in the words the report prints.
    public static let layoutRules: [String] = [
        "%rsp % 16 == 0 at _start (argc at %rsp)",
        "argc and every argv and envp string equal native's",
        "every auxv key on either side has a row in this table",
        "argv, envp, AT_RANDOM, AT_PLATFORM and AT_EXECFN point into the string area above the auxv",
        "upward: AT_RANDOM bytes, AT_PLATFORM string, argv strings, envp strings, AT_EXECFN string (each string right after the previous)",
        "AT_RANDOM: 16 bytes, not all zero",
    ]

    /// The whole policy as text, one line per key, then the layout rules.
    public static func render() -> String {
        let nameWidth = table.map(\.name.count).max() ?? 0
        let ruleWidth = table.map(\.rule.label.count).max() ?? 0
        var lines = ["auxv policy (guest compared with native):"]
        for row in table {
            lines.append("  " + "\(row.key)".leftPadded(2) + " " + row.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                         + "  " + row.rule.label.padding(toLength: ruleWidth, withPad: " ", startingAt: 0)
                         + "  " + row.reason)
        }
        lines.append("stack layout rules (both sides):")
        lines += layoutRules.map { "  - " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// The string with spaces in front up to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
