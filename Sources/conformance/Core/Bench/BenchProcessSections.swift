import Foundation

extension BenchHarness {
    /// Rounds of fork + exit + wait per run (each a few hundred µs natively, milliseconds in the guest).
    static let forkRounds = 100
    /// Rounds of fork + execve + exit + wait per run.
    static let execRounds = 100
    /// Bytes the pipeline moves per run (64 MiB) and the size of every write and read (64 KiB).
    static let pipelineBytes = 64 << 20
    static let pipelineChunk = 64 << 10
    /// The static program the exec row's children execve, as the program sees it: a relative
    /// path, so the same command finds it in the native working directory and in the guest's
    /// root (the `--dir` folder, where the guest starts).
    static let execTarget = "./hello"

    // MARK: Processes

    /// Processes made and joined, and processes talking through pipes: fork + exit + wait and
    /// fork + execve + wait, per operation (Fixtures/bench/fork_wait.c), and a 3-stage pipeline's
    /// throughput (Fixtures/bench/pipeline.c). A guest fork forks the runner and builds a new VM
    /// and vCPU in the child; an execve replaces the runner by a fresh one for the new program.
    func measureProcesses(into results: inout BenchResults) throws {
        try measureProcessCreation(into: &results)
        try measurePipeline(into: &results)
    }

    func measureProcessCreation(into results: inout BenchResults) throws {
        let id = "fork_wait-musl"
        let benches: [(arguments: [String], rounds: Int, figure: String)] = [
            (["\(Self.forkRounds)"], Self.forkRounds,
             "fork + child _exit(0) + waitpid of the running program, one at a time, per operation (musl)"),
            (["\(Self.execRounds)", Self.execTarget], Self.execRounds,
             "fork + child execve of a static hello (musl) + waitpid, one at a time, per operation (musl)"),
        ]
        for bench in benches {
            // Seconds per operation, which the report shows in µs or ms.
            var row = BenchRow(section: "Processes", figure: bench.figure, unit: .seconds)
            guard let path = binary(id).path else {
                row.note = "not run: \(binary(id).failure)"
                results.rows.append(row)
                continue
            }
            let directory = try freshDirectory(id)
            if bench.arguments.count > 1 {
                guard let hello = binary("hello-musl").path else {
                    row.note = "not run: hello-musl \(binary("hello-musl").failure)"
                    results.rows.append(row)
                    continue
                }
                try FileManager.default.copyItem(atPath: hello, toPath: directory + "/" + Self.execTarget)
            }
            progress("processes: \(bench.rounds) × \(bench.arguments.count > 1 ? "fork + execve" : "fork") + wait, \(configuration.repeats) × native and guest")
            var native = Sample(), guest = Sample(), exitsPerRound = Sample(), trapped = TrapShare()
            for _ in 0..<configuration.repeats {
                let nativeRun = try run([path] + bench.arguments, in: directory)
                native.add(nativeRun) { $0.values["ns_per_op"].map { $0 / 1e9 } }
                let guestRun = try run(guestCommand(path, bench.arguments, directory: directory), in: directory, timings: true)
                guest.add(guestRun) { $0.values["ns_per_op"].map { $0 / 1e9 } }
                trapped.add(guestRun)
                exitsPerRound.add(guestRun) { run in
                    // The parent's exits over every round it made, the program's 5 warm-up rounds included.
                    (run.hypervisorTimings?["exits"] as? NSNumber).map { $0.doubleValue / Double(bench.rounds + 5) }
                }
            }
            row.unikernel = guest.summary
            row.native = native.summary
            row.compare(to: native.summary, named: "native", atMost: 3, target: "≤ 3× native")
            if let exits = exitsPerRound.summary?.median {
                row.addNote(String(format: "exits to the hypervisor per operation (parent): %.1f", exits))
            }
            trapped.note(in: &row)
            if let failure = guest.failure { row.addNote("guest failed: \(failure)") }
            if let failure = native.failure { row.addNote("native failed: \(failure)") }
            results.rows.append(row)
        }
    }

    func measurePipeline(into results: inout BenchResults) throws {
        let id = "pipeline-musl"
        var row = BenchRow(section: "Processes",
                           figure: "3-stage pipeline producer | filter (XOR) | consumer, forked, 64 MiB in 64 KiB writes/reads (musl)",
                           unit: .mebibytesPerSecond)
        guard let path = binary(id).path else {
            row.note = "not run: \(binary(id).failure)"
            results.rows.append(row)
            return
        }
        let arguments = ["\(Self.pipelineBytes)", "\(Self.pipelineChunk)"]
        progress("processes: 64 MiB through a 3-stage pipeline, \(configuration.repeats) × native and guest")
        let directory = try freshDirectory(id)
        var native = Sample(), guest = Sample(), nativeRead = Sample(), guestRead = Sample()
        var guestExits = Sample(), trapped = TrapShare()
        for _ in 0..<configuration.repeats {
            let nativeRun = try run([path] + arguments, in: directory)
            native.add(nativeRun) { $0.values["mib_per_s"] }
            nativeRead.add(nativeRun) { $0.values["bytes_per_read"] }
            let guestRun = try run(guestCommand(path, arguments, directory: directory), in: directory, timings: true)
            guest.add(guestRun) { $0.values["mib_per_s"] }
            guestRead.add(guestRun) { $0.values["bytes_per_read"] }
            guestExits.add(guestRun) { run in (run.hypervisorTimings?["exits"] as? NSNumber)?.doubleValue }
            trapped.add(guestRun)
        }
        row.unikernel = guest.summary
        row.native = native.summary
        row.compare(to: native.summary, named: "native", atLeast: 0.8, target: "≥ 0.8× native")
        if let g = guestRead.summary?.median, let n = nativeRead.summary?.median {
            row.addNote(String(format: "mean bytes per consumer read: guest %.0f, native %.0f", g, n))
        }
        if let exits = guestExits.summary?.median {
            row.addNote(String(format: "exits to the hypervisor per guest run (consumer): %.0f", exits))
        }
        trapped.note(in: &row)
        if let failure = guest.failure { row.addNote("guest failed: \(failure)") }
        if let failure = native.failure { row.addNote("native failed: \(failure)") }
        results.rows.append(row)
    }
}
