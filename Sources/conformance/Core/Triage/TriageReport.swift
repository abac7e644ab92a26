import Foundation

/// What `conformance triage` found for one program, and its text rendering.
public struct TriageReport: Sendable {
    public var name: String
    public var binaryPath: String
    public var guestOptions: [String]
    public var native: ProcessOutcome
    public var guest: ProcessOutcome
    public var nativeEvents: [TraceEvent]
    public var guestEvents: [TraceEvent]
    public var alignment: TraceAlignment
    /// Syscalls that got ENOSYS in the guest and not natively.
    public var refused: [RefusedSyscall]
    /// The suite's verdict on the guest run (output, exit status, files, crash, timeout).
    public var verdict: Verdict
    /// The hypervisor's crash report from the guest's stderr, if the guest died.
    public var crashReport: String?
    /// Syscalls the kernel refuses on purpose (its table's `.refused` rows), name to note:
    /// an ENOSYS from one of them is a known difference, not the cause being looked for.
    public var refusedByDesign: [String: String] = [:]
    /// When the guest failed: the verdict of a control run with `--no-syscall-patching`
    /// (every syscall traps, no site rewritten), which tells whether the kernel's rewriting
    /// of hot `syscall` sites is involved.
    public var unpatchedVerdict: Verdict?

    /// The first divergence that is not a by-design refusal: where to start looking.
    public var firstUnexpectedDivergence: TraceAlignment.Divergence? {
        alignment.firstUnexpectedDivergence(refusedByDesign: refusedByDesign)
    }

    /// Divergences listed after the first one.
    static let listedDivergences = 12
    /// Matched calls shown before the first divergence.
    static let contextLines = 3

    /// The hypervisor's crash report: from its headline (`<program>: guest died of ...`,
    /// `... guest executed hlt ...`, `hypervisor: ...`) to the end of stderr.
    public static func crashReport(in stderr: [UInt8]) -> String? {
        let text = String(decoding: stderr, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: {
            $0.contains(": guest died of ") || $0.contains(": guest executed hlt") || $0.hasPrefix("hypervisor: ")
        }) else { return nil }
        return lines[start...].joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// The `likely cause:` line of the crash report, if any.
    public var likelyCause: String? {
        crashReport?.split(separator: "\n").first { $0.contains("likely cause: ") }
            .map { String($0[$0.range(of: "likely cause: ")!.upperBound...]) }
    }

    /// The report for a terminal or a CI log.
    public func renderText() -> String {
        var lines: [String] = []
        lines.append("triage: \(name)" + (name == binaryPath ? "" : " (\(binaryPath))")
                     + (guestOptions.isEmpty ? "" : "  [guest options: \(guestOptions.joined(separator: " "))]"))
        lines.append("  native: \(describe(native)), \(nativeEvents.count) syscalls (strace -f -qq)")
        lines.append("  guest:  \(describe(guest)), \(guestEvents.count) syscalls (hypervisor --trace-file)")
        let verdictLine = verdict.outcome == .pass ? "PASS: the guest matches native"
            : "FAIL [\(verdict.category?.rawValue ?? "?")] \(verdict.summary ?? "")"
        lines.append("  verdict: " + verdictLine)
        if let unpatchedVerdict {
            lines.append(unpatchedVerdict.outcome == .pass
                ? "  with --no-syscall-patching: PASS: the failure comes from rewritten syscall sites (Arch/SyscallPatcher.swift)"
                : "  with --no-syscall-patching: fails too: rewritten syscall sites are not the cause")
        }

        lines.append("")
        let expected = alignment.divergences.filter {
            TraceAlignment.byDesignReason(of: $0, refusedByDesign: refusedByDesign) != nil
        }
        if let first = firstUnexpectedDivergence {
            lines.append("first divergence (\(first.kind.rawValue)), at native #\(first.nativeIndex.map { "\($0 + 1)" } ?? "-")"
                         + ", guest #\(first.guestIndex.map { "\($0 + 1)" } ?? "-"):")
            let before = alignment.matchedPairs.filter { $0.native < (first.nativeIndex ?? Int.max)
                && $0.guest < (first.guestIndex ?? Int.max) }.suffix(Self.contextLines)
            for pair in before { lines.append("    both    " + guestEvents[pair.guest].line) }
            lines.append("  > native  " + (first.native?.line ?? "(no such call)"))
            lines.append("  > guest   " + (first.guest?.line ?? "(no such call)"))
            let rest = alignment.divergences.filter {
                $0 != first && TraceAlignment.byDesignReason(of: $0, refusedByDesign: refusedByDesign) == nil
            }
            if !rest.isEmpty {
                lines.append("other divergences (\(rest.count)):")
                for divergence in rest.prefix(Self.listedDivergences) {
                    lines.append("  " + describe(divergence))
                }
                if rest.count > Self.listedDivergences { lines.append("  ... \(rest.count - Self.listedDivergences) more") }
            }
        } else if alignment.divergences.isEmpty {
            lines.append("syscalls: the traces agree (\(alignment.matchedPairs.count) calls, results and paths compared)")
        } else {
            lines.append("syscalls: the traces agree apart from by-design refusals (\(alignment.matchedPairs.count) calls, results and paths compared)")
        }
        if !expected.isEmpty {
            lines.append("by-design differences (\(expected.count), skipped above: the kernel's table refuses these):")
            for divergence in expected.prefix(Self.listedDivergences) {
                let reason = TraceAlignment.byDesignReason(of: divergence, refusedByDesign: refusedByDesign) ?? ""
                lines.append("  " + describe(divergence) + "  [\(reason)]")
            }
            if expected.count > Self.listedDivergences { lines.append("  ... \(expected.count - Self.listedDivergences) more") }
        }

        lines.append("")
        if refused.isEmpty {
            lines.append("refused or unimplemented syscalls: none (no ENOSYS in the guest that native did not get)")
        } else {
            lines.append("refused or unimplemented syscalls (ENOSYS in the guest, not natively):")
            for call in refused {
                lines.append("  \(call.name): ENOSYS \(call.count)x in the guest; native "
                             + (call.nativeResult.map { "returned \($0)" } ?? "never called it")
                             + (refusedByDesign[call.name].map { " (refused by design: \($0))" } ?? ""))
            }
        }

        lines.append("")
        let differences = verdict.details.filter { !$0.hasPrefix("guest stderr: ") }
        if differences.isEmpty {
            lines.append("output differences: none (stdout, stderr, exit status and files match)")
        } else {
            lines.append("output differences:")
            lines += differences.map { "  " + $0 }
        }

        if let crashReport {
            lines.append("")
            lines.append("guest crash report:")
            lines += crashReport.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func describe(_ outcome: ProcessOutcome) -> String {
        var text = "exit status \(outcome.status.shellStatus)"
        if outcome.timedOut { text += " (timed out)" }
        return text + String(format: " in %.2f s", outcome.seconds)
    }

    private func describe(_ divergence: TraceAlignment.Divergence) -> String {
        let position = "native #\(divergence.nativeIndex.map { "\($0 + 1)" } ?? "-")"
            + ", guest #\(divergence.guestIndex.map { "\($0 + 1)" } ?? "-")"
        switch divergence.kind {
        case .onlyNative: return "only native  (\(position)): \(divergence.native!.line)"
        case .onlyGuest: return "only guest   (\(position)): \(divergence.guest!.line)"
        case .result, .arguments:
            return "\(divergence.kind.rawValue) (\(position)): \(divergence.native!.name): native = \(divergence.native!.result)"
                + ", guest = \(divergence.guest!.result)"
                + (divergence.kind == .arguments ? "; native \(divergence.native!.line) vs guest \(divergence.guest!.line)" : "")
        }
    }
}
