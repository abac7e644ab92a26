import Foundation

extension BenchHarness {
    /// How many runs start at once in the concurrent start-up figures.
    static let concurrentStarts = 16

    // MARK: Start-up under concurrency

    /// The runner's start-up when `concurrentStarts` guests start at once (as a build system or
    /// a test suite starts them): per round, 16 KVM floors, 16 native hellos and 16 guest hellos
    /// (musl), each batch started together and reaped as it ends. Two figures per kind: the
    /// batch's wall time ÷ 16 (the cost of one more start when the host is busy starting) and
    /// each run's own spawn → exit.
    func measureConcurrentStart(into results: inout BenchResults) throws {
        let count = Self.concurrentStarts
        let rounds = max(5, configuration.startRuns / 4)
        progress("concurrent start: \(rounds) rounds of \(count) KVM floors, \(count) native and \(count) guest hellos (musl) at once")
        var perStart = BenchRow(section: "End-to-end start", figure: "\(count) × `hypervisor ./hello` (musl) started at once: batch wall ÷ \(count)",
                                unit: .seconds)
        var perRun = BenchRow(section: "End-to-end start", figure: "\(count) × `hypervisor ./hello` (musl) started at once: each run's spawn → exit",
                              unit: .seconds)
        let hello = binary("hello-musl"), floorBinary = binary("kvm_floor")
        guard let path = hello.path else {
            perStart.note = "not run: \(hello.failure)"
            perRun.note = perStart.note
            results.rows += [perStart, perRun]
            return
        }
        let directory = try freshDirectory("concurrent-start")
        var batch: [String: Sample] = [:], each: [String: Sample] = [:]
        let commands: [(kind: String, command: [String])] = [
            ("floor", floorBinary.path.map { [$0, "\(configuration.floorMemoryMiB)"] } ?? []),
            ("native", [path]),
            ("guest", guestCommand(path, [], directory: directory, timeout: false)),
        ]
        for round in 0...rounds { // round 0 warms the caches and is not counted
            for (kind, command) in commands where !command.isEmpty {
                let (runs, nanoseconds) = try BenchProcess.runConcurrently(
                    Array(repeating: command, count: count), environment: environment, directory: directory, scratch: scratch)
                guard round > 0 else { continue }
                let failed = runs.first { $0.status != 0 }
                if let failed {
                    if batch[kind, default: Sample()].failure == nil { batch[kind, default: Sample()].failure = failed.failureSummary }
                } else {
                    batch[kind, default: Sample()].values.append(Double(nanoseconds) / 1e9 / Double(count))
                }
                for run in runs { each[kind, default: Sample()].add(run) { $0.seconds } }
            }
        }
        for (row, samples) in [(0, batch), (1, each)] {
            var line = row == 0 ? perStart : perRun
            line.unikernel = samples["guest"]?.summary
            line.native = samples["native"]?.summary
            line.kvmFloor = samples["floor"]?.summary
            // The issue sets no target for this figure: the ratio to the floor started alike is reported.
            if let guest = line.unikernel?.median, let floor = line.kvmFloor?.median, floor > 0 {
                line.ratio = guest / floor
                line.ratioBase = "KVM floor"
            }
            if let guest = line.unikernel?.median, let native = line.native?.median, native > 0 {
                line.addNote(String(format: "%.0f× native", guest / native))
            }
            if row == 0 { line.addNote("\(rounds) rounds; every batch of \(count) on the host's \(ProcessInfo.processInfo.activeProcessorCount) CPUs") }
            for kind in ["guest", "native", "floor"] {
                if let failure = samples[kind]?.failure { line.addNote("\(kind) failed: \(failure)") }
            }
            if floorBinary.path == nil { line.addNote("KVM floor not built: \(floorBinary.failure)") }
            results.rows.append(line)
        }
    }
}
