/// The structural comparison of two initial-stack dumps (`StackDump`): Linux's layout
/// rules on each side, then the guest against native under `AuxvPolicy`.
public enum StackLayoutCheck {
    /// The layout rules of `AuxvPolicy.layoutRules` that `dump` breaks, one message each.
    /// Native Linux breaks none of them; a guest that does is not laid out like Linux.
    public static func invariantViolations(of dump: StackDump) -> [String] {
        var problems: [String] = []
        if dump.rsp % 16 != 0 || dump.rspMod16 != 0 {
            problems.append("%rsp % 16 is \(dump.rspMod16) at _start (rsp \(hex(dump.rsp))), not 0")
        }
        if dump.argc != UInt64(dump.argv.count) {
            problems.append("argc is \(dump.argc) but \(dump.argv.count) argv pointers precede the NULL")
        }
        // Everything the stack points to, bottom to top, as Linux lays it out.
        var placed: [(what: String, address: UInt64, end: UInt64)] = []
        if let address = dump.aux(AuxKey.random) {
            placed.append(("AT_RANDOM bytes", address, address + 16))
            if let bytes = dump.random {
                if bytes.count != 16 { problems.append("AT_RANDOM points to \(bytes.count) bytes, not 16") }
                if bytes.allSatisfy({ $0 == 0 }) { problems.append("AT_RANDOM bytes are all zero") }
            } else {
                problems.append("AT_RANDOM is present but its bytes are missing from the dump")
            }
        }
        if let platform = dump.platformString { placed.append(("AT_PLATFORM string", platform.address, platform.end)) }
        let stringsStart = placed.count
        for (index, string) in dump.argv.enumerated() { placed.append(("argv[\(index)] string", string.address, string.end)) }
        for (index, string) in dump.envp.enumerated() { placed.append(("envp[\(index)] string", string.address, string.end)) }
        if let execfn = dump.execfnString { placed.append(("AT_EXECFN string", execfn.address, execfn.end)) }

        for item in placed where item.address < dump.auxvEnd {
            problems.append("\(item.what) at \(offset(item.address, from: dump)) is not in the string area "
                            + "above the auxv (which ends at \(offset(dump.auxvEnd, from: dump)))")
        }
        for (lower, upper) in zip(placed, placed.dropFirst()) where upper.address < lower.end {
            problems.append("\(upper.what) at \(offset(upper.address, from: dump)) is not above "
                            + "\(lower.what) at \(offset(lower.address, from: dump))")
        }
        // argv, envp and execfn strings are one block, each right after the previous.
        for (lower, upper) in zip(placed[stringsStart...], placed[stringsStart...].dropFirst())
        where upper.address >= lower.end && upper.address != lower.end {
            problems.append("\(upper.what) at \(offset(upper.address, from: dump)) does not follow "
                            + "\(lower.what) directly (ends at \(offset(lower.end, from: dump)))")
        }
        return problems
    }

    /// Every difference between a native and a guest dump that the policy does not allow,
    /// one message each; empty when the guest's stack is laid out like Linux's.
    public static func compare(native: StackDump, guest: StackDump) -> [String] {
        var problems = invariantViolations(of: guest).map { "guest: " + $0 }
        if native.argc != guest.argc {
            problems.append("argc: native \(native.argc), guest \(guest.argc)")
        }
        for (name, nativeStrings, guestStrings) in [("argv", native.argv, guest.argv), ("envp", native.envp, guest.envp)] {
            if nativeStrings.count != guestStrings.count {
                problems.append("\(name): native has \(nativeStrings.count) strings, guest \(guestStrings.count)")
            }
            for (index, (mine, theirs)) in zip(nativeStrings, guestStrings).enumerated() where mine.text != theirs.text {
                problems.append("\(name)[\(index)]: native \"\(mine.text)\", guest \"\(theirs.text)\"")
            }
        }
        let keys = (native.auxv.map(\.key) + guest.auxv.map(\.key)).reduce(into: [UInt64]()) { keys, key in
            if !keys.contains(key) { keys.append(key) }
        }
        for key in keys {
            problems += compareAux(key, native: native, guest: guest)
        }
        return problems
    }

    /// `compare` on the two stdouts; a dump that does not parse is a mismatch too.
    public static func compare(native: [UInt8], guest: [UInt8]) -> [String] {
        let nativeDump: StackDump
        do throws(StackDumpError) { nativeDump = try StackDump.parse(native) } catch {
            return ["native stdout is not a stack dump: \(error)"]
        }
        do throws(StackDumpError) {
            return compare(native: nativeDump, guest: try StackDump.parse(guest))
        } catch {
            return ["guest stdout is not a stack dump: \(error)"]
        }
    }

    private static func compareAux(_ key: UInt64, native: StackDump, guest: StackDump) -> [String] {
        let name = AuxvPolicy.name(of: key)
        let mine = native.aux(key)
        let theirs = guest.aux(key)
        guard let rule = AuxvPolicy.rule(for: key) else {
            let sides = [mine.map { "native \(hex($0))" }, theirs.map { "guest \(hex($0))" }].compactMap { $0 }
            return ["\(name): no policy for this key (\(sides.joined(separator: ", "))); add a row to AuxvPolicy.table"]
        }
        if rule == .absentInGuest {
            return theirs.map { ["\(name): the guest must not have it (policy: absent in guest), has \(hex($0))"] } ?? []
        }
        guard let mine else {
            return ["\(name): the guest has \(hex(theirs!)), native has none"]
        }
        guard let theirs else {
            return rule == .optionalInGuest ? [] : ["\(name): missing in the guest (native \(hex(mine)))"]
        }
        switch rule {
        case .equal, .optionalInGuest:
            return mine == theirs ? [] : ["\(name): native \(hex(mine)), guest \(hex(theirs))"]
        case .sameString:
            let strings = key == AuxKey.execfn ? (native.execfn, guest.execfn) : (native.platform, guest.platform)
            return strings.0 == strings.1 ? []
                : ["\(name): native \"\(strings.0 ?? "<none>")\", guest \"\(strings.1 ?? "<none>")\""]
        case let .sameOffset(base):
            guard let nativeBase = native.aux(base), let guestBase = guest.aux(base) else {
                return ["\(name): \(AuxvPolicy.name(of: base)) is needed to compare it and is missing"]
            }
            let nativeOffset = Int64(bitPattern: mine &- nativeBase)
            let guestOffset = Int64(bitPattern: theirs &- guestBase)
            return nativeOffset == guestOffset ? []
                : ["\(name): \(nativeOffset) bytes from \(AuxvPolicy.name(of: base)) natively, \(guestOffset) in the guest"]
        case .randomBytes:
            if let a = native.random, let b = guest.random, a == b {
                return ["\(name): the guest's 16 bytes equal native's; they must be fresh random bytes"]
            }
            return []
        case .presentMayDiffer, .absentInGuest:
            return []
        }
    }

    static func hex(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16)
    }

    /// An address as an offset from the initial %rsp, e.g. `rsp+0x1f0`.
    static func offset(_ address: UInt64, from dump: StackDump) -> String {
        address >= dump.rsp ? "rsp+\(hex(address - dump.rsp))" : "rsp-\(hex(dump.rsp - address))"
    }
}
