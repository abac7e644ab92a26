import Foundation

extension BenchHarness {
    /// vCPUs of every guest run in the thread section (`hypervisor --cpus`).
    static let threadCPUs = 2
    /// The OpenMP matmul's size (each 1-thread run about 0.5–1 s natively).
    static let openMPArguments = ["1024"]
    static let futexRounds = 100_000
    static let threadCreations = 10_000
    /// Jobs of the Go fan-out (about 0.5–1 s natively).
    static let goArguments = ["2000"]

    // MARK: Threads

    /// Programs with several threads, the guest on `threadCPUs` vCPUs: OpenMP compute with 1 and
    /// 2 threads (and the speed-up 2 threads give), futex ping-pong between two threads, thread
    /// create + join, and a Go program (goroutines and GC) timed as a whole process.
    func measureThreads(into results: inout BenchResults) throws {
        try measureOpenMP(into: &results)
        try measureThreadLatency(into: &results)
        try measureGo(into: &results)
    }

    func measureOpenMP(into results: inout BenchResults) throws {
        let what = "OpenMP matmul \(Self.openMPArguments[0])² (glibc, blocked, rows over the team)"
        let threadCounts = [1, 2]
        guard let path = binary("omp_matmul-glibc").path else {
            var row = BenchRow(section: "Threads", figure: what, unit: .seconds)
            row.note = "not run: \(binary("omp_matmul-glibc").failure)"
            results.rows.append(row)
            return
        }
        progress("threads: \(what), OMP_NUM_THREADS=1 and 2: \(configuration.repeats) × native and guest (--cpus \(Self.threadCPUs))")
        let directory = try freshDirectory("openmp")
        var native: [Int: Sample] = [:], guest: [Int: Sample] = [:]
        var nativeProcess: [Int: Sample] = [:], guestProcess: [Int: Sample] = [:]
        var nativeSpeedUp = Sample(), guestSpeedUp = Sample()
        var trapped: [Int: TrapShare] = [:]
        var checksums: Set<String> = [], teamSizes: [Int: Set<Int>] = [:]
        for _ in 0..<configuration.repeats {
            var nativeSeconds: [Int: Double] = [:], guestSeconds: [Int: Double] = [:]
            for threads in threadCounts {
                let environment = ["OMP_NUM_THREADS=\(threads)"]
                let nativeRun = try run([path] + Self.openMPArguments, in: directory, extraEnvironment: environment)
                native[threads, default: Sample()].add(nativeRun) { $0.values["seconds"] }
                nativeProcess[threads, default: Sample()].add(nativeRun) { $0.seconds }
                let guestRun = try run(guestCommand(path, Self.openMPArguments, directory: directory, cpus: Self.threadCPUs),
                                       in: directory, timings: true, extraEnvironment: environment)
                trapped[threads, default: TrapShare()].add(guestRun)
                guest[threads, default: Sample()].add(guestRun) { $0.values["seconds"] }
                guestProcess[threads, default: Sample()].add(guestRun) { $0.seconds }
                for run in [nativeRun, guestRun] where run.status == 0 {
                    checksums.insert(run.values["checksum"].map { "\($0)" } ?? "none")
                    if let team = run.values["threads"] { teamSizes[threads, default: []].insert(Int(team)) }
                }
                if nativeRun.status == 0 { nativeSeconds[threads] = nativeRun.values["seconds"] }
                if guestRun.status == 0 { guestSeconds[threads] = guestRun.values["seconds"] }
            }
            // The speed-up of this round: its 1-thread time over its 2-thread time.
            if let one = nativeSeconds[1], let two = nativeSeconds[2], two > 0 { nativeSpeedUp.values.append(one / two) }
            if let one = guestSeconds[1], let two = guestSeconds[2], two > 0 { guestSpeedUp.values.append(one / two) }
        }
        for threads in threadCounts {
            var row = BenchRow(section: "Threads", figure: "\(what), OMP_NUM_THREADS=\(threads), guest --cpus \(Self.threadCPUs)",
                               unit: .seconds)
            row.unikernel = guest[threads]?.summary
            row.native = native[threads]?.summary
            row.compare(to: row.native, named: "native", atMost: 1.03, target: "≤ 1.03× native")
            trapped[threads]?.note(in: &row)
            if let g = guestProcess[threads]?.summary?.median, let n = nativeProcess[threads]?.summary?.median, n > 0 {
                row.addNote(String(format: "whole process: guest %.3f s, native %.3f s (%.3f×)", g, n, g / n))
            }
            if let sizes = teamSizes[threads], sizes != [threads] {
                row.addNote("team sizes seen: \(sizes.sorted()) (expected \(threads))")
            }
            if checksums.count > 1 { row.addNote("checksums differ between runs: \(checksums.sorted())") }
            row.noteFailures(guest: guest[threads]?.failure, native: native[threads]?.failure)
            results.rows.append(row)
        }
        var row = BenchRow(section: "Threads", figure: "OpenMP matmul speed-up of 2 threads over 1 (1-thread ÷ 2-thread time, per round)",
                           unit: .count)
        row.unikernel = guestSpeedUp.summary
        row.native = nativeSpeedUp.summary
        row.compare(to: row.native, named: "native's", atLeast: 0.95, target: "≥ 0.95× native's speed-up")
        results.rows.append(row)
    }

    /// Futex ping-pong and thread create + join: per-operation times, guest on `threadCPUs` vCPUs.
    func measureThreadLatency(into results: inout BenchResults) throws {
        let benches: [(id: String, arguments: [String], key: String, figure: String)] = [
            ("futex_pingpong-musl", ["\(Self.futexRounds)"], "ns_per_roundtrip",
             "futex ping-pong between 2 threads (FUTEX_WAIT/WAKE_PRIVATE), per round trip (musl)"),
            ("thread_create-musl", ["\(Self.threadCreations)"], "ns_per_thread", "pthread_create + pthread_join, per thread (musl)"),
            ("thread_create-glibc", ["\(Self.threadCreations)"], "ns_per_thread", "pthread_create + pthread_join, per thread (glibc)"),
        ]
        for bench in benches {
            var row = BenchRow(section: "Threads", figure: bench.figure + ", guest --cpus \(Self.threadCPUs)", unit: .nanoseconds)
            guard let path = binary(bench.id).path else {
                row.note = "not run: \(binary(bench.id).failure)"
                results.rows.append(row)
                continue
            }
            progress("threads: \(bench.id) \(bench.arguments.joined(separator: " ")): \(configuration.repeats) × native and guest")
            let directory = try freshDirectory(bench.id)
            var native = Sample(), guest = Sample(), exits = Sample(), patched = Sample()
            var trapped = TrapShare()
            for _ in 0..<configuration.repeats {
                let nativeRun = try run([path] + bench.arguments, in: directory)
                native.add(nativeRun) { $0.values[bench.key] }
                let guestRun = try run(guestCommand(path, bench.arguments, directory: directory, cpus: Self.threadCPUs),
                                       in: directory, timings: true)
                guest.add(guestRun) { $0.values[bench.key] }
                exits.add(guestRun) { run in (run.hypervisorTimings?["exits"] as? NSNumber)?.doubleValue }
                patched.add(guestRun) { run in (run.hypervisorTimings?["patched_syscall_sites"] as? NSNumber)?.doubleValue }
                trapped.add(guestRun)
            }
            row.unikernel = guest.summary
            row.native = native.summary
            row.compare(to: native.summary, named: "native", atMost: 1.5, target: "≤ 1.5× native")
            if let exits = exits.summary?.median, let patched = patched.summary?.median {
                row.addNote(String(format: "per guest run: %.0f exits to the hypervisor, %.0f syscall sites rewritten", exits, patched))
            }
            trapped.note(in: &row)
            row.noteFailures(guest: guest.failure, native: native.failure)
            results.rows.append(row)
        }
    }

    /// The Go program: whole-process wall time, guest on `threadCPUs` vCPUs.
    func measureGo(into results: inout BenchResults) throws {
        var row = BenchRow(section: "Threads",
                           figure: "Go: \(Self.goArguments[0]) jobs fanned out to 64 goroutines, GC under load, whole process, guest --cpus \(Self.threadCPUs)",
                           unit: .seconds)
        guard let path = binary("goroutines_gc-go").path else {
            row.note = "not run: \(binary("goroutines_gc-go").failure)"
            results.rows.append(row)
            return
        }
        progress("threads: Go goroutines + GC: \(configuration.repeats) × native and guest")
        let directory = try freshDirectory("go")
        var native = Sample(), guest = Sample(), nativeInside = Sample(), guestInside = Sample()
        var trapped = TrapShare()
        var checksums: Set<String> = [], nativeCycles: [Double] = [], guestCycles: [Double] = []
        var processors: (native: Set<Int>, guest: Set<Int>) = ([], [])
        for _ in 0..<configuration.repeats {
            let nativeRun = try run([path] + Self.goArguments, in: directory)
            native.add(nativeRun) { $0.values["seconds"] != nil ? $0.seconds : nil }
            nativeInside.add(nativeRun) { $0.values["seconds"] }
            let guestRun = try run(guestCommand(path, Self.goArguments, directory: directory, cpus: Self.threadCPUs), in: directory,
                                   timings: true)
            trapped.add(guestRun)
            guest.add(guestRun) { $0.values["seconds"] != nil ? $0.seconds : nil }
            guestInside.add(guestRun) { $0.values["seconds"] }
            for run in [nativeRun, guestRun] where run.status == 0 { checksums.insert(run.values["checksum"].map { "\($0)" } ?? "none") }
            if let count = nativeRun.values["gc_cycles"] { nativeCycles.append(count) }
            if let count = guestRun.values["gc_cycles"] { guestCycles.append(count) }
            if let count = nativeRun.values["gomaxprocs"] { processors.native.insert(Int(count)) }
            if let count = guestRun.values["gomaxprocs"] { processors.guest.insert(Int(count)) }
        }
        row.unikernel = guest.summary
        row.native = native.summary
        row.compare(to: native.summary, named: "native", atMost: 1.05, target: "≤ 1.05× native")
        trapped.note(in: &row)
        if let g = guestInside.summary?.median, let n = nativeInside.summary?.median, n > 0 {
            row.addNote(String(format: "in-program time: guest %.3f s, native %.3f s (%.3f×)", g, n, g / n))
        }
        if let nativeLow = nativeCycles.min(), let nativeHigh = nativeCycles.max(), let guestLow = guestCycles.min(),
           let guestHigh = guestCycles.max() {
            row.addNote(String(format: "GC cycles per run: guest %.0f–%.0f, native %.0f–%.0f", guestLow, guestHigh, nativeLow, nativeHigh))
        }
        if !processors.native.isEmpty || !processors.guest.isEmpty {
            row.addNote("GOMAXPROCS: guest \(processors.guest.sorted()), native \(processors.native.sorted())")
        }
        if checksums.count > 1 { row.addNote("checksums differ between runs: \(checksums.sorted())") }
        row.noteFailures(guest: guest.failure, native: native.failure)
        results.rows.append(row)
    }
}
