import Foundation

/// The system-call fuzzer's driver: builds the guest program (`Tests/Fuzz/syscall_fuzzer.c`, with
/// `musl-gcc -static`), runs it in the unikernel again and again with fresh seeds, each run in a
/// fresh directory under `--timeout`, until the time budget is spent, and reduces every finding
/// to a short reproducer (saved under `.build/fuzz/`). The program never runs natively.
public struct SyscallFuzzer: Sendable {
    public struct Configuration: Sendable {
        /// The package root (for the fuzzer source, the syscall table and `.build/fuzz`).
        public var packageRoot: String
        /// The runner.
        public var hypervisorPath: String
        public var kernelPath: String?
        /// Wall-clock budget of the whole fuzzing session.
        public var seconds: Double = 60
        /// The session's seed: run r uses a seed derived from it and r.
        public var seed: UInt64 = 1
        /// Guests running at once.
        public var jobs = 2
        /// Calls per guest run.
        public var callsPerRun = 5_000
        /// The runner's `--timeout` for one guest run. Generous: some calls do real work the
        /// size Linux would (a sendfile of 2 GiB out of a sparse file the run made huge takes
        /// seconds on a loaded machine), and a hang is a run that never ends.
        public var timeoutSeconds = 30

        public init(packageRoot: String, hypervisorPath: String) {
            self.packageRoot = packageRoot
            self.hypervisorPath = hypervisorPath
        }

        var outputDirectory: String { packageRoot + "/.build/fuzz" }
        var programPath: String { outputDirectory + "/syscall_fuzzer" }
        var sourcePath: String { packageRoot + "/Tests/Fuzz/syscall_fuzzer.c" }
    }

    /// One finding, reduced.
    public struct Finding: Sendable {
        public var seed: UInt64
        /// The index of the call during which the run failed (the first count that reproduces, minus one).
        public var callIndex: Int
        public var kind: FuzzFindingKind
        /// The shortest call list found that still reproduces it (replay lines), with names.
        public var reproducer: [TracedCall]
        /// Whether `reproducer`, replayed on its own, reproduces the finding.
        public var reproducerConfirmed: Bool
        /// The runner's stderr of the failing run (its crash report).
        public var report: String
        /// Where the reproducer was saved.
        public var savedAt: String
    }

    /// The session's totals.
    public struct Summary: Sendable {
        public var runs = 0
        public var calls = 0
        public var seconds = 0.0
        public var syscalls = Set<Int>()
        public var argumentClasses = Set<String>()
        public var findings: [Finding] = []
        public var callsPerSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Errors that stop the session before it fuzzes anything.
    public enum SetupError: Error, CustomStringConvertible {
        case buildFailed(String)
        case hypervisorMissing(String)

        public var description: String {
            switch self {
            case let .buildFailed(output): "cannot build the fuzzer program with musl-gcc: \(output)"
            case let .hypervisorMissing(path): "no hypervisor at \(path)"
            }
        }
    }

    /// Compiles the guest program when its source is newer than the binary.
    public func buildProgram() async throws -> String {
        let manager = FileManager.default
        try manager.createDirectory(atPath: configuration.outputDirectory, withIntermediateDirectories: true)
        let sourceDate = (try? manager.attributesOfItem(atPath: configuration.sourcePath)[.modificationDate] as? Date) ?? .distantFuture
        if let binaryDate = try? manager.attributesOfItem(atPath: configuration.programPath)[.modificationDate] as? Date,
           binaryDate >= sourceDate {
            return configuration.programPath
        }
        let request = ProcessRequest(executable: "/usr/bin/musl-gcc",
                                     arguments: ["musl-gcc", "-static", "-O2", "-Wall", "-o", configuration.programPath,
                                                 configuration.sourcePath],
                                     environment: ["PATH=/usr/bin:/bin"], workingDirectory: configuration.outputDirectory,
                                     timeoutSeconds: 120)
        let outcome = try await ProcessRunner.run(request)
        guard outcome.status == .exited(0) else {
            throw SetupError.buildFailed(String(decoding: outcome.stderr, as: UTF8.self))
        }
        return configuration.programPath
    }

    /// The seed of run `run` of a session seeded with `seed` (splitmix64 of their sum).
    public static func runSeed(session seed: UInt64, run: Int) -> UInt64 {
        var z = seed &+ UInt64(run) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Runs the guest program once: `SEED CALLS [TRACE_FROM]`, or `--replay FILE` with `replay` calls.
    public func runGuest(seed: UInt64, calls: Int, traceFrom: Int? = nil, replay: [TracedCall]? = nil) async throws -> (FuzzRunOutcome, String) {
        let directory = try TemporaryDirectory(prefix: "syscall-fuzz")
        defer { directory.remove() }
        var programArguments = [String(seed), String(calls)]
        if let traceFrom { programArguments.append(String(traceFrom)) }
        if let replay {
            let text = replay.map(\.replayLine).joined(separator: "\n") + "\n"
            try text.write(toFile: directory.path + "/replay.txt", atomically: false, encoding: .utf8)
            programArguments = ["--replay", "/replay.txt"]
        }
        // The program sits outside the guest's root: copy it in so the guest can also read itself.
        let guestProgram = directory.path + "/.syscall_fuzzer"
        try FileManager.default.copyItem(atPath: configuration.programPath, toPath: guestProgram)
        var arguments = [configuration.hypervisorPath, "--dir", directory.path, "--timeout", String(configuration.timeoutSeconds),
                         "--no-aslr", "--memory", "128M"]
        if let kernelPath = configuration.kernelPath { arguments += ["--kernel", kernelPath] }
        arguments += [guestProgram] + programArguments
        let request = ProcessRequest(executable: configuration.hypervisorPath, arguments: arguments,
                                     environment: ["PATH=/usr/bin:/bin"], workingDirectory: directory.path,
                                     timeoutSeconds: Double(configuration.timeoutSeconds) + 10)
        let outcome = try await ProcessRunner.run(request)
        let stderr = String(decoding: outcome.stderr, as: UTF8.self)
        let run = FuzzRunOutcome(stdout: String(decoding: outcome.stdout, as: UTF8.self), stderr: stderr,
                                 status: outcome.status, timedOut: outcome.timedOut)
        return (run, stderr)
    }

    /// Fuzzes for the configured budget with `jobs` guests at once; reduces each finding.
    public func run(progress: @Sendable @escaping (String) -> Void = { _ in }) async throws -> Summary {
        guard FileManager.default.isExecutableFile(atPath: configuration.hypervisorPath) else {
            throw SetupError.hypervisorMissing(configuration.hypervisorPath)
        }
        _ = try await buildProgram()
        let start = Date()
        let deadline = start.addingTimeInterval(configuration.seconds)
        let counter = RunCounter()
        var summary = Summary()
        var failing: [(seed: UInt64, kind: FuzzFindingKind, report: String)] = []
        try await withThrowingTaskGroup(of: [(UInt64, FuzzRunOutcome, String)].self) { group in
            for _ in 0..<max(1, configuration.jobs) {
                group.addTask {
                    var results: [(UInt64, FuzzRunOutcome, String)] = []
                    while Date() < deadline {
                        let run = await counter.next()
                        let seed = SyscallFuzzer.runSeed(session: configuration.seed, run: run)
                        let (outcome, stderr) = try await runGuest(seed: seed, calls: configuration.callsPerRun)
                        results.append((seed, outcome, stderr))
                        if let finding = outcome.finding { progress("finding in run \(run) (seed \(seed)): \(finding)") }
                    }
                    return results
                }
            }
            for try await results in group {
                for (seed, outcome, stderr) in results {
                    summary.runs += 1
                    summary.calls += outcome.finding == nil ? outcome.calls : 0
                    summary.syscalls.formUnion(outcome.syscalls)
                    summary.argumentClasses.formUnion(outcome.argumentClasses)
                    if let kind = outcome.finding { failing.append((seed, kind, stderr)) }
                }
            }
        }
        summary.seconds = Date().timeIntervalSince(start)
        for (seed, kind, report) in failing.prefix(5) {
            progress("reducing the finding of seed \(seed) (\(kind))")
            summary.findings.append(try await reduce(seed: seed, kind: kind, report: report))
        }
        return summary
    }

    /// Reduces a failing run to a short reproducer: bisects the number of calls to the first that
    /// fails the same way, prints the calls before it, then keeps the shortest tail of them (and
    /// drops single calls from it) that still fails when replayed on its own.
    public func reduce(seed: UInt64, kind: FuzzFindingKind, report: String) async throws -> Finding {
        func failsAlike(_ outcome: FuzzRunOutcome) -> Bool { outcome.finding == kind }
        var low = 0, high = configuration.callsPerRun  // fails with `high` calls, not known below
        while high - low > 1 {
            let middle = (low + high) / 2
            if failsAlike(try await runGuest(seed: seed, calls: middle).0) { high = middle } else { low = middle }
        }
        let index = high - 1
        let context = 32
        let traced = try await runGuest(seed: seed, calls: high, traceFrom: max(0, index - context + 1)).0.tracedCalls
        var best = traced
        var confirmed = false
        var length = 1
        while length <= traced.count {
            let tail = Array(traced.suffix(length))
            if failsAlike(try await runGuest(seed: seed, calls: 0, replay: tail).0) {
                best = tail
                confirmed = true
                break
            }
            length *= 2
        }
        if confirmed {
            var position = 0
            while position < best.count - 1 {
                var shorter = best
                shorter.remove(at: position)
                if failsAlike(try await runGuest(seed: seed, calls: 0, replay: shorter).0) { best = shorter } else { position += 1 }
            }
        }
        let path = configuration.outputDirectory + "/finding-\(seed)-\(index).txt"
        var text = "# syscall fuzzer finding: \(kind), seed \(seed), call index \(index)\n"
        text += "# \(confirmed ? "reproduces" : "did NOT reproduce") when replayed alone: syscall_fuzzer --replay FILE, lines below\n"
        text += best.map(\.replayLine).joined(separator: "\n") + "\n"
        text += "# runner stderr of the failing run:\n" + report.split(separator: "\n").map { "# " + $0 }.joined(separator: "\n") + "\n"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return Finding(seed: seed, callIndex: index, kind: kind, reproducer: best, reproducerConfirmed: confirmed,
                       report: report, savedAt: path)
    }
}

/// Hands out run numbers to the concurrent workers.
actor RunCounter {
    private var value = 0
    func next() -> Int {
        defer { value += 1 }
        return value
    }
}
