/// Lines up a native and a guest syscall trace by syscall name (a longest common
/// subsequence) and lists where they differ: calls only one side made, and calls both made
/// with different results or different paths/data.
public struct TraceAlignment: Sendable, Equatable {
    /// One place where the traces differ. Indices are 0-based positions in each trace.
    public struct Divergence: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable {
            /// Native made this call, the guest did not (at this point).
            case onlyNative = "only native"
            /// The guest made this call, native did not.
            case onlyGuest = "only guest"
            /// Both made the call; the results differ (success/errno, or the value).
            case result = "different result"
            /// Both made the call with the same result; the paths or data differ.
            case arguments = "different arguments"
        }

        public var kind: Kind
        public var nativeIndex: Int?
        public var guestIndex: Int?
        public var native: TraceEvent?
        public var guest: TraceEvent?
    }

    /// A native call and the guest call matched with it by name (0-based positions).
    public struct Pair: Sendable, Equatable {
        public var native: Int
        public var guest: Int
    }

    /// The calls matched by name, in order.
    public var matchedPairs: [Pair]
    /// Every divergence, in trace order.
    public var divergences: [Divergence]

    /// The longest trace aligned in full; beyond it the tails are compared position by position.
    static let alignmentLimit = 4000

    public init(native: [TraceEvent], guest: [TraceEvent]) {
        let n = min(native.count, Self.alignmentLimit), m = min(guest.count, Self.alignmentLimit)
        // lengths[i][j] = LCS length of native[i...] and guest[j...], by name.
        var lengths = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lengths[i][j] = native[i].name == guest[j].name
                        ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
                }
            }
        }
        var pairs: [Pair] = []
        var divergences: [Divergence] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, native[i].name == guest[j].name {
                pairs.append(Pair(native: i, guest: j))
                let a = native[i], b = guest[j]
                if a.comparableResult != b.comparableResult {
                    divergences.append(Divergence(kind: .result, nativeIndex: i, guestIndex: j, native: a, guest: b))
                } else if a.comparableStrings != b.comparableStrings {
                    divergences.append(Divergence(kind: .arguments, nativeIndex: i, guestIndex: j, native: a, guest: b))
                }
                i += 1; j += 1
            } else if j >= m || (i < n && lengths[i + 1][j] >= lengths[i][j + 1]) {
                divergences.append(Divergence(kind: .onlyNative, nativeIndex: i, native: native[i]))
                i += 1
            } else {
                divergences.append(Divergence(kind: .onlyGuest, guestIndex: j, guest: guest[j]))
                j += 1
            }
        }
        for k in n..<max(n, native.count) {
            divergences.append(Divergence(kind: .onlyNative, nativeIndex: k, native: native[k]))
        }
        for k in m..<max(m, guest.count) {
            divergences.append(Divergence(kind: .onlyGuest, guestIndex: k, guest: guest[k]))
        }
        matchedPairs = pairs
        self.divergences = divergences
    }

    /// The first place the traces differ, or nil when they agree.
    public var firstDivergence: Divergence? { divergences.first }

    /// Why `divergence` is expected, or nil when it is not: the guest answered ENOSYS to a
    /// syscall that `refusedByDesign` (name to note, the kernel table's `.refused` rows) lists.
    public static func byDesignReason(of divergence: Divergence, refusedByDesign: [String: String]) -> String? {
        guard divergence.kind == .onlyGuest || divergence.kind == .result,
              let guest = divergence.guest, guest.errno == "ENOSYS" else { return nil }
        return refusedByDesign[guest.name]
    }

    /// The first divergence that is not by design (see `byDesignReason`), or nil.
    public func firstUnexpectedDivergence(refusedByDesign: [String: String]) -> Divergence? {
        divergences.first { Self.byDesignReason(of: $0, refusedByDesign: refusedByDesign) == nil }
    }

    /// Syscalls that failed with ENOSYS in the guest but never did natively: the refused or
    /// unimplemented calls, each with how often it was hit and what native returned.
    public static func refusedInGuest(native: [TraceEvent], guest: [TraceEvent]) -> [RefusedSyscall] {
        let nativeENOSYS = Set(native.filter { $0.errno == "ENOSYS" }.map(\.name))
        var order: [String] = []
        var counts: [String: Int] = [:]
        for event in guest where event.errno == "ENOSYS" && !nativeENOSYS.contains(event.name) {
            if counts[event.name] == nil { order.append(event.name) }
            counts[event.name, default: 0] += 1
        }
        return order.map { name in
            RefusedSyscall(name: name, count: counts[name]!,
                           nativeResult: native.first { $0.name == name }?.result)
        }
    }
}

/// A syscall the guest answered with ENOSYS while native Linux did not.
public struct RefusedSyscall: Sendable, Equatable {
    public var name: String
    /// How many times the guest refused it.
    public var count: Int
    /// What native returned the first time (nil: native never made the call).
    public var nativeResult: String?
}
