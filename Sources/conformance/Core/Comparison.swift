/// The verdict rules: native Linux is the reference, and the guest must match it.
public enum Comparison {
    /// Checks the native run against the fixture's declarations.
    /// - Returns: a native-failure verdict if the fixture is broken, nil if native is sound.
    public static func checkNative(_ native: Observation, spec: FixtureSpec) -> Verdict? {
        if native.outcome.timedOut {
            return .nativeFailure("native run timed out after \(seconds(native.outcome.seconds))")
        }
        if native.outcome.exceededOutputLimit {
            return .nativeFailure("native run was killed for writing too much output")
        }
        let status = native.outcome.status.shellStatus
        guard status == spec.expectedExitStatus else {
            let stderr = firstLine(native.outcome.stderr).map { "; stderr: \($0)" } ?? ""
            return .nativeFailure("native run ended with \(native.outcome.status), the fixture declares "
                                  + "conformance-exit: \(spec.expectedExitStatus)\(stderr)")
        }
        if spec.stdoutComparison == .stackLayout {
            do throws(StackDumpError) {
                let dump = try StackDump.parse(native.outcome.stdout)
                if let problem = StackLayoutCheck.invariantViolations(of: dump).first {
                    return .nativeFailure("native stack dump breaks a layout rule: \(problem)")
                }
            } catch {
                return .nativeFailure("native stdout is not a stack dump: \(error)")
            }
        }
        return nil
    }

    /// Compares a guest run with the (sound) native run of the same fixture.
    ///
    /// The category is the first problem in this order: timeout, crash, exit status,
    /// output (stdout, then stderr), files. The runner's own statuses (124 timeout, 125-127
    /// could not run) count as timeout and crash when native did not end the same way. Every mismatch found is listed in the details.
    /// When native died by a signal and the guest reported the same status, the guest's
    /// stderr may add the hypervisor's crash report after the native stderr.
    /// The spec's `stdoutComparison` chooses how stdout is compared, and its `mismatchCategory`
    /// renames the category of output and exit-status mismatches.
    public static func compare(native: Observation, guest: Observation, timeoutSeconds: Double,
                               spec: FixtureSpec? = nil) -> Verdict {
        let guestOutcome = guest.outcome
        if guestOutcome.timedOut || guestOutcome.seconds >= timeoutSeconds {
            return failure(.timeout, "guest did not finish within \(seconds(timeoutSeconds))", guest: guestOutcome)
        }
        if guestOutcome.exceededOutputLimit {
            return failure(.output, "guest was killed for writing too much output (native wrote "
                           + "\(native.outcome.stdout.count + native.outcome.stderr.count) bytes)", guest: guestOutcome)
        }
        if case let .signaled(signal) = guestOutcome.status {
            return failure(.crash, "the hypervisor process itself was killed by signal \(signal)"
                           + (firstLine(guestOutcome.stderr).map { ": \($0)" } ?? ""), guest: guestOutcome)
        }
        let nativeStatus = native.outcome.status.shellStatus
        let guestStatus = guestOutcome.status.shellStatus
        if guestStatus == HypervisorStatus.timeout, nativeStatus != guestStatus {
            return failure(.timeout, "guest did not finish within \(seconds(timeoutSeconds)) (hypervisor status 124)",
                           guest: guestOutcome)
        }
        if guestStatus == HypervisorStatus.failed, nativeStatus != guestStatus,
           let headline = kernelBugHeadline(in: guestOutcome.stderr) {
            return failure(.kernelBug, "the kernel faulted: " + headline, guest: guestOutcome)
        }
        if HypervisorStatus.errors.contains(guestStatus), nativeStatus != guestStatus {
            return failure(.crash, "the hypervisor could not run the program (status \(guestStatus))"
                           + (firstLine(guestOutcome.stderr).map { ": \($0)" } ?? ""), guest: guestOutcome)
        }
        if guestStatus >= 128, guestStatus != nativeStatus {
            let report = firstLine(Array(guestOutcome.stderr.dropFirst(commonPrefix(native.outcome.stderr, guestOutcome.stderr))))
            return failure(.crash, "guest died with status \(guestStatus), native \(nativeStatus)"
                           + (report.map { ": \($0)" } ?? ""), guest: guestOutcome)
        }

        var mismatches: [(FailureCategory, String)] = []
        if guestStatus != nativeStatus {
            mismatches.append((.exitStatus, "exit status: native \(nativeStatus), guest \(guestStatus)"))
        }
        if spec?.stdoutComparison == .stackLayout {
            mismatches += StackLayoutCheck.compare(native: native.outcome.stdout, guest: guestOutcome.stdout)
                .map { (.stackLayout, $0) }
        } else if let diff = OutputDiff.describe(stream: "stdout", native: native.outcome.stdout,
                                                 guest: guestOutcome.stdout) {
            mismatches.append((.output, diff))
        }
        let crashReportAllowed = native.outcome.status != .exited(nativeStatus) && guestStatus == nativeStatus
        let stderrMatches = crashReportAllowed
            ? guestOutcome.stderr.starts(with: native.outcome.stderr)
            : guestOutcome.stderr == native.outcome.stderr
        if !stderrMatches,
           let diff = OutputDiff.describe(stream: "stderr", native: native.outcome.stderr, guest: guestOutcome.stderr) {
            mismatches.append((.output, diff))
        }
        for difference in native.files.differences(from: guest.files, contentsIgnored: Set(spec?.contentsIgnored ?? [])) {
            mismatches.append((.files, "file " + difference))
        }
        if let renamed = spec?.mismatchCategory {
            mismatches = mismatches.map { [.output, .exitStatus].contains($0.0) ? (renamed, $0.1) : $0 }
        }
        guard let first = mismatches.first else { return .pass }
        return .fail(first.0, first.1, details: mismatches.map(\.1))
    }

    /// The runner command's own exit statuses (see `hypervisor --help`). They are read as
    /// such only when native ended differently, since a program may exit with them too.
    enum HypervisorStatus {
        /// `--timeout` expired.
        static let timeout: Int32 = 124
        /// Hypervisor error, program not runnable, program not found.
        static let errors: ClosedRange<Int32> = 125...127
        /// The hypervisor failed: among others, a kernel bug.
        static let failed: Int32 = 125
        /// How the runner's report of a fault in the kernel begins.
        static let kernelBugPrefix = "hypervisor: kernel bug: "
    }

    /// The runner's kernel-bug headline in stderr without its prefix (cause, kernel function,
    /// call in progress), shortened; nil when stderr has none.
    static func kernelBugHeadline(in stderr: [UInt8]) -> String? {
        let text = String(decoding: stderr, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix(HypervisorStatus.kernelBugPrefix) }) else {
            return nil
        }
        let headline = line.dropFirst(HypervisorStatus.kernelBugPrefix.count)
        return headline.count > 240 ? String(headline.prefix(240)) + "..." : String(headline)
    }

    /// The longest stderr excerpt kept in the details of a timeout or crash.
    static let stderrDetailLines = 12

    /// A failure whose details add the guest's stderr (the crash report, the hypervisor's error).
    private static func failure(_ category: FailureCategory, _ summary: String, guest: ProcessOutcome) -> Verdict {
        let lines = OutputDiff.lines(guest.stderr)
        var details = [summary] + lines.prefix(stderrDetailLines).map { line in
            "guest stderr: " + OutputDiff.excerpt(line.last == 0x0A ? line.dropLast() : line, limit: 200)
        }
        if lines.count > stderrDetailLines { details.append("guest stderr: (\(lines.count - stderrDetailLines) more lines)") }
        return .fail(category, summary, details: details)
    }

    private static func commonPrefix(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).prefix { $0 == $1 }.count
    }

    /// The first non-empty line of some output, escaped and shortened, or nil.
    static func firstLine(_ bytes: [UInt8]) -> String? {
        OutputDiff.lines(bytes).first { line in line.contains { $0 != 0x0A && $0 != 0x20 } }
            .map { OutputDiff.excerpt($0.last == 0x0A ? $0.dropLast() : $0, limit: 120) }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\((value * 100).rounded() / 100) s"
    }
}
