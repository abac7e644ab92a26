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
    /// Runs of the KVM floor and of `hypervisor ./hello` that the process-creation rows set
    /// beside their figures: what building, running and destroying a VM costs as a process.
    static let processReferenceRuns = 10

    // MARK: Processes

    /// Processes made and joined, and processes talking through pipes: fork + exit + wait and
    /// fork + execve + wait, per operation (Fixtures/bench/fork_wait.c), and a 3-stage pipeline's
    /// throughput (Fixtures/bench/pipeline.c). A guest fork forks the runner and builds a new VM
    /// and vCPU in the child; an execve replaces the runner by a fresh one for the new program.
    func measureProcesses(into results: inout BenchResults) throws {
        try measureProcessCreation(into: &results)
        try measurePipeline(into: &results)
    }

    /// What a guest process creation is made of, measured as whole processes in this run: the
    /// KVM floor (a VM with one vCPU made, one `hlt` run, destroyed at exit: what a guest fork
    /// adds to the host fork of the runner) and `hypervisor ./hello` (a runner's whole start and
    /// exit: what a guest execve adds). Medians of `processReferenceRuns` runs each.
    func measureProcessReferences() throws -> (floor: Sample, hello: Sample) {
        var floor = Sample(), hello = Sample()
        let directory = try freshDirectory("process-references")
        if let path = binary("kvm_floor").path {
            for _ in 0..<Self.processReferenceRuns {
                floor.add(try run([path, "\(configuration.floorMemoryMiB)"], in: directory)) { $0.seconds }
            }
        } else { floor.failure = binary("kvm_floor").failure }
        if let path = binary("hello-musl").path {
            for _ in 0..<Self.processReferenceRuns {
                hello.add(try run(guestCommand(path, [], directory: directory), in: directory)) { $0.seconds }
            }
        } else { hello.failure = binary("hello-musl").failure }
        return (floor, hello)
    }

    func measureProcessCreation(into results: inout BenchResults) throws {
        let id = "fork_wait-musl"
        progress("processes: \(Self.processReferenceRuns) × the KVM floor and `hypervisor hello` as references")
        let references = try measureProcessReferences()
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
            let execs = bench.arguments.count > 1
            if let floor = references.floor.summary?.median, let base = native.summary?.median, base > 0 {
                row.addNote(String(format: "bound: a guest fork is the runner's host fork plus a VM and vCPU made in the child "
                                   + "and destroyed at its exit; the KVM floor alone (VM + vCPU + hlt + exit, as a process) "
                                   + "took %.2f ms here, %.1f× native's whole operation", floor * 1e3, floor / base))
            } else if let failure = references.floor.failure {
                row.addNote("KVM floor not measured: \(failure)")
            }
            if execs {
                if let hello = references.hello.summary?.median {
                    row.addNote(String(format: "the exec'd child is a fresh runner: `hypervisor ./hello` alone took %.2f ms here", hello * 1e3))
                } else if let failure = references.hello.failure {
                    row.addNote("`hypervisor ./hello` not measured: \(failure)")
                }
            }
            if let exits = exitsPerRound.summary?.median {
                row.addNote(String(format: "exits to the hypervisor per operation (parent): %.1f", exits))
            }
            trapped.note(in: &row)
            row.noteFailures(guest: guest.failure, native: native.failure)
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
        var guestExits = Sample(), trapped = TrapShare(), nativeSeconds = Sample(), guestSeconds = Sample()
        for _ in 0..<configuration.repeats {
            let nativeRun = try run([path] + arguments, in: directory)
            native.add(nativeRun) { $0.values["mib_per_s"] }
            nativeSeconds.add(nativeRun) { $0.values["seconds"] }
            nativeRead.add(nativeRun) { $0.values["bytes_per_read"] }
            let guestRun = try run(guestCommand(path, arguments, directory: directory), in: directory, timings: true)
            guest.add(guestRun) { $0.values["mib_per_s"] }
            guestSeconds.add(guestRun) { $0.values["seconds"] }
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
        let chunks = Double(Self.pipelineBytes / Self.pipelineChunk)
        if let g = guestSeconds.summary?.median, let n = nativeSeconds.summary?.median {
            row.addNote(String(format: "per 64 KiB chunk: guest %.1f µs, native %.1f µs", g / chunks * 1e6, n / chunks * 1e6))
        }
        if let exits = guestExits.summary?.median {
            row.addNote(String(format: "bound: each guest pipe read or write is a host call, one exit to the hypervisor "
                               + "(the filter makes two per chunk); the consumer made %.0f exits per run, %.2f per chunk", exits, exits / chunks))
        }
        trapped.note(in: &row)
        row.noteFailures(guest: guest.failure, native: native.failure)
        results.rows.append(row)
    }
}
