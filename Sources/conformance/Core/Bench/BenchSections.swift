import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A sample of one figure and the first failure seen while collecting it.
struct Sample {
    var values: [Double] = []
    var failure: String?
    var summary: Summary? { Summary(values) }

    mutating func add(_ run: TimedRun, _ value: (TimedRun) -> Double?) {
        if run.status == 0, let value = value(run) { values.append(value) } else if failure == nil {
            failure = run.status == 0 ? "no result in the output" : run.failureSummary
        }
    }
}

extension BenchRow {
    /// Sets ratio = unikernel median ÷ `base` median and checks it against `limit`.
    mutating func compare(to base: Summary?, named baseName: String, atMost limit: Double? = nil, atLeast floor: Double? = nil,
                          target: String) {
        self.target = target
        ratioBase = baseName
        guard let unikernel, let base, base.median > 0 else { return }
        let ratio = unikernel.median / base.median
        self.ratio = ratio
        if let limit { met = ratio <= limit }
        if let floor { met = ratio >= floor }
    }

    mutating func addNote(_ text: String) { note = note.isEmpty ? text : note + "; " + text }
    /// Notes why the guest's or the native measurement failed, if either did.
    mutating func noteFailures(guest: String?, native: String?) {
        if let guest { addNote("guest failed: \(guest)") }
        if let native { addNote("native failed: \(native)") }
    }
}

/// How a guest process's syscalls entered the kernel, over a row's guest runs: the share that
/// trapped (on kvm-pvm an exit each) rather than came through a rewritten site, from the
/// `trapped_syscalls` and `stub_syscalls` of the hypervisor's timings line (the top-level process).
struct TrapShare {
    var shares = Sample(), totals = Sample()

    mutating func add(_ run: TimedRun) {
        shares.add(run) { Self.counts($0).map { $0.total > 0 ? Double($0.trapped) / Double($0.total) : 0 } }
        totals.add(run) { Self.counts($0).map { Double($0.total) } }
    }

    static func counts(_ run: TimedRun) -> (trapped: UInt64, total: UInt64)? {
        guard let timings = run.hypervisorTimings, let trapped = (timings["trapped_syscalls"] as? NSNumber)?.uint64Value,
              let viaStub = (timings["stub_syscalls"] as? NSNumber)?.uint64Value else { return nil }
        return (trapped, trapped + viaStub)
    }

    /// Adds "syscalls trapped: x% of n per guest run" to `row` (median over the runs).
    func note(in row: inout BenchRow) {
        guard let share = shares.summary?.median, let total = totals.summary?.median else { return }
        row.addNote(String(format: "syscalls trapped: %.2f%% of %.0f per guest run", share * 100, total))
    }
}

extension BenchHarness {
    static let helloKinds = ["asm", "musl", "glibc"]

    func binary(_ id: String) -> (path: String?, failure: String) {
        (binaries[id], buildFailures[id] ?? "not built")
    }

    // MARK: End-to-end start, breakdown, start footprint

    func measureStart(into results: inout BenchResults) throws {
        let runs = configuration.startRuns
        progress("end-to-end start: \(runs) rounds of KVM floor + native and guest hello (asm, musl, glibc), plus \(runs) timed guest runs each")
        let directory = try freshDirectory("start")
        var floor = Sample()
        var native: [String: Sample] = [:], guest: [String: Sample] = [:]
        var timed: [String: [TimedRun]] = [:]
        var timedFailure: [String: String] = [:]
        let floorBinary = binary("kvm_floor")
        for round in 0...runs { // round 0 warms the caches and is not counted
            if let path = floorBinary.path {
                let run = try run([path, "\(configuration.floorMemoryMiB)"], in: directory)
                if round > 0 { floor.add(run) { $0.seconds } }
            }
            for kind in Self.helloKinds {
                guard let path = binary("hello-\(kind)").path else { continue }
                let nativeRun = try run([path], in: directory)
                let guestRun = try run(guestCommand(path, [], directory: directory, timeout: false), in: directory)
                let timedRun = try run(guestCommand(path, [], directory: directory, timeout: false), in: directory, timings: true)
                guard round > 0 else { continue }
                native[kind, default: Sample()].add(nativeRun) { $0.seconds }
                guest[kind, default: Sample()].add(guestRun) { $0.seconds }
                if timedRun.status == 0, timedRun.hypervisorTimings != nil { timed[kind, default: []].append(timedRun) }
                else if timedFailure[kind] == nil { timedFailure[kind] = timedRun.failureSummary }
            }
        }
        for kind in Self.helloKinds {
            var row = BenchRow(section: "End-to-end start", figure: "`hypervisor ./hello` (\(kind)), spawn → exit", unit: .seconds)
            row.unikernel = guest[kind]?.summary
            row.native = native[kind]?.summary
            row.kvmFloor = floor.summary
            row.compare(to: floor.summary, named: "KVM floor", atMost: 1.5, target: "≤ 1.5× KVM floor")
            if let nativeMedian = row.native?.median, let guestMedian = row.unikernel?.median {
                row.addNote(String(format: "%.0f× native", guestMedian / nativeMedian))
            }
            let built = binary("hello-\(kind)")
            if built.path == nil { row.addNote("not run: \(built.failure)") }
            if let failure = guest[kind]?.failure { row.addNote("guest failed (\(guest[kind]!.values.count) of \(runs) ok): \(failure)") }
            if let failure = native[kind]?.failure { row.addNote("native failed: \(failure)") }
            if let failure = floor.failure { row.addNote("KVM floor failed: \(failure)") }
            if floorBinary.path == nil { row.addNote("KVM floor not built: \(floorBinary.failure)") }
            results.rows.append(row)
        }
        results.breakdown = Self.breakdown(timed)
        for kind in Self.helloKinds {
            guard let runs = timed[kind], !runs.isEmpty else { continue }
            results.startCounters[kind] = Self.counterMedians(runs)
        }
        for kind in Self.helloKinds {
            let runs = timed[kind] ?? []
            var rss = BenchRow(section: "Footprint", figure: "hypervisor peak RSS, hello (\(kind))", unit: .bytes)
            rss.unikernel = Summary(runs.map { Self.peakRSS($0) })
            var resident = BenchRow(section: "Footprint", figure: "guest memory resident at exit, hello (\(kind))", unit: .bytes)
            resident.unikernel = Summary(runs.compactMap { Self.residentBytes($0) })
            var beyond = BenchRow(section: "Footprint", figure: "peak RSS beyond guest memory resident, hello (\(kind))", unit: .bytes)
            beyond.unikernel = Summary(runs.compactMap { run in Self.residentBytes(run).map { Self.peakRSS(run) - $0 } })
            beyond.target = "≤ 20 MiB"
            if let median = beyond.unikernel?.median { beyond.met = median <= 20 * 1048576 }
            if runs.isEmpty {
                let reason = "no timed guest run succeeded: \(timedFailure[kind] ?? "not built")"
                rss.note = reason; resident.note = reason; beyond.note = reason
            }
            results.rows += [rss, resident, beyond]
        }
    }

    /// The hypervisor's own peak RSS (VmHWM it reports), else the child's ru_maxrss, which
    /// Linux inflates with the spawning process's memory when posix_spawn uses vfork.
    static func peakRSS(_ run: TimedRun) -> Double {
        (run.hypervisorTimings?["process_peak_rss_bytes"] as? NSNumber)?.doubleValue ?? Double(run.maxRSSBytes)
    }

    static func residentBytes(_ run: TimedRun) -> Double? {
        (run.hypervisorTimings?["guest_resident_bytes"] as? NSNumber)?.doubleValue
    }

    /// The hypervisor's marks as name → CLOCK_MONOTONIC ns, plus "spawn" and "reaped" from the harness.
    static func marks(_ run: TimedRun) -> [String: Double] {
        var marks: [String: Double] = ["spawn": Double(run.spawnNanoseconds), "reaped": Double(run.reapedNanoseconds)]
        for case let pair as [Any] in (run.hypervisorTimings?["marks"] as? [Any]) ?? [] where pair.count == 2 {
            if let name = pair[0] as? String, let value = (pair[1] as? NSNumber)?.doubleValue { marks[name] = value }
        }
        return marks
    }

    /// The start-up phases, each the interval between two marks.
    static let phases: [(phase: String, from: String, to: String, measuredAs: String)] = [
        ("hypervisor process start", "spawn", "main",
         "posix_spawn → first line of the CLI's execute(): exec, dynamic loading of the Swift runtime, argument parsing"),
        ("read + check kernel and program", "main", "images-checked",
         "map both ELF files and read their headers and the kernel note, plan the images, guest layout, open the --dir root"),
        ("KVM VM creation", "images-checked", "vm-created", "open /dev/kvm, KVM_CREATE_VM, KVM_SET_TSS_ADDR"),
        ("guest memory setup", "vm-created", "memory-mapped", "mmap of guest memory + KVM_SET_USER_MEMORY_REGION"),
        ("vCPU creation", "memory-mapped", "vcpu-created", "KVM_CREATE_VCPU, mmap kvm_run, KVM_SET_CPUID2"),
        ("image loading + boot state", "vcpu-created", "images-loaded",
         "GDT, page tables, kernel and application images, boot info, registers, FPU state"),
        ("kernel boot → first hypercall", "images-loaded", "first-hypercall",
         "signal handlers, first KVM_RUN, kernel start-up (CPL0 part emulated), entry to the application, up to the first hypercall: the asm hello's first instruction is a write syscall, so this bounds boot → first application instruction from above; for C it also includes libc start-up"),
        ("application run", "first-hypercall", "run-end", "first hypercall → exit_group handled and KVM_RUN loop left"),
        ("teardown", "run-end", "reaped", "timings line, process exit (guest memory unmapped, VM closed), until wait4 returns"),
        ("total", "spawn", "reaped", "posix_spawn → wait4 (timed runs, UNIKERNEL_TIMINGS=1)"),
    ]

    static func breakdown(_ timed: [String: [TimedRun]]) -> [BreakdownRow] {
        phases.map { phase in
            var perKind: [String: Summary] = [:]
            for (kind, runs) in timed {
                let values = runs.compactMap { run -> Double? in
                    let marks = marks(run)
                    guard let from = marks[phase.from], let to = marks[phase.to] else { return nil }
                    return to - from
                }
                perKind[kind] = Summary(values)
            }
            return BreakdownRow(phase: phase.phase, measuredAs: phase.measuredAs, nanoseconds: perKind)
        }
    }

    static func counterMedians(_ runs: [TimedRun]) -> [String: Double] {
        var values: [String: [Double]] = [:]
        for run in runs {
            guard let timings = run.hypervisorTimings else { continue }
            if let exits = (timings["exits"] as? NSNumber)?.doubleValue { values["exits to the hypervisor", default: []].append(exits) }
            for (key, value) in (timings["kvm_vcpu_stats"] as? [String: Any]) ?? [:] {
                if let number = (value as? NSNumber)?.doubleValue { values["kvm " + key, default: []].append(number) }
            }
            let marks = marks(run)
            if let run = marks["first-run"], let exit = marks["first-exit"] { values["first KVM_RUN → first exit (ns)", default: []].append(exit - run) }
        }
        return values.compactMapValues { Summary($0)?.median }
    }

    // MARK: Micro-benchmarks

    func measureMicro(into results: inout BenchResults) throws {
        // The syscall rows past the first time libc's call sites (syscall.c's argv[2]): the
        // shapes glibc and musl put before `syscall` must all be rewritten (no trap per call).
        // A nil limit: the row's target is the trapped share (< 1%), not the time; that row's
        // calls are host exits each (~100 µs here), so it makes fewer of them.
        let micro: [(program: String, libc: String, mode: String?, figure: String, limit: Double?, target: String)] = [
            ("syscall", "musl", nil, "null syscall: getppid via `syscall`, per call (musl)", 0.2, "≤ 0.2× native"),
            ("syscall", "glibc", "syscall", "null syscall: getppid via syscall(SYS_getppid), per call (glibc)", 0.2, "≤ 0.2× native"),
            ("syscall", "musl", "syscall", "null syscall: getppid via syscall(SYS_getppid), per call (musl)", 0.2, "≤ 0.2× native"),
            ("syscall", "glibc", "getppid", "null syscall: getppid() wrapper, per call (glibc)", 0.2, "≤ 0.2× native"),
            ("syscall", "glibc", "read0", "read(fd, buffer, 0) of /dev/zero, read() wrapper, per call (glibc)", nil,
             "< 1% of syscalls trapped (each read is still a host I/O exit)"),
            ("clock", "musl", nil, "clock_gettime(CLOCK_MONOTONIC), per call (musl; native: vDSO)", 1.5, "≤ 1.5× native, no VM exit"),
        ]
        for bench in micro {
            let iterations = bench.limit == nil ? 20_000 : 1_000_000
            progress("\(bench.program) \(bench.mode ?? "") (\(bench.libc)): \(configuration.repeats) × \(iterations) calls, native and guest")
            let directory = try freshDirectory(bench.program)
            var row = BenchRow(section: "Micro", figure: bench.figure, unit: .nanoseconds)
            guard let path = binary("\(bench.program)-\(bench.libc)").path else {
                row.note = "not run: \(binary("\(bench.program)-\(bench.libc)").failure)"
                results.rows.append(row)
                continue
            }
            let arguments = ["\(iterations)"] + (bench.mode.map { [$0] } ?? [])
            var native = Sample(), guest = Sample(), nativeCycles = Sample(), guestCycles = Sample(), exitsPerCall = Sample()
            var trapped = TrapShare()
            for _ in 0..<configuration.repeats {
                let nativeRun = try run([path] + arguments, in: directory)
                native.add(nativeRun) { $0.values["ns_per_call"] }
                nativeCycles.add(nativeRun) { $0.values["cycles_per_call"] }
                let guestRun = try run(guestCommand(path, arguments, directory: directory), in: directory, timings: true)
                guest.add(guestRun) { $0.values["ns_per_call"] }
                guestCycles.add(guestRun) { $0.values["cycles_per_call"] }
                trapped.add(guestRun)
                exitsPerCall.add(guestRun) { run in
                    ((run.hypervisorTimings?["kvm_vcpu_stats"] as? [String: Any])?["exits"] as? NSNumber).map { $0.doubleValue / Double(iterations) }
                }
            }
            row.unikernel = guest.summary
            row.native = native.summary
            row.compare(to: native.summary, named: "native", atMost: bench.limit, target: bench.target)
            if bench.limit == nil, let share = trapped.shares.summary?.median { row.met = share < 0.01 }
            if let g = guestCycles.summary?.median, let n = nativeCycles.summary?.median {
                row.addNote(String(format: "cycles/call: guest %.0f, native %.0f", g, n))
            }
            if let exits = exitsPerCall.summary?.median {
                row.addNote(String(format: "KVM exits (in-kernel, vCPU stats) per call in the guest: %.2f", exits))
                if bench.program == "clock", row.met == true, exits >= 0.01 { row.met = false }
            }
            trapped.note(in: &row)
            row.noteFailures(guest: guest.failure, native: native.failure)
            results.rows.append(row)
        }
    }

    // MARK: File I/O

    func measureFiles(into results: inout BenchResults) throws {
        let total = 64 << 20
        progress("file I/O: 64 MiB written then read in 4 KiB and 1 MiB chunks, \(configuration.repeats) × native and guest")
        guard let path = binary("fileio-musl").path else {
            var row = BenchRow(section: "File I/O", figure: "file write/read 64 MiB", unit: .mebibytesPerSecond)
            row.note = "not run: \(binary("fileio-musl").failure)"
            results.rows.append(row)
            return
        }
        for (chunk, label, limit) in [(4096, "4 KiB", 0.5), (1 << 20, "1 MiB", 0.8)] {
            var native: [String: Sample] = [:], guest: [String: Sample] = [:]
            var trapped = TrapShare()
            for index in 0..<configuration.repeats {
                let nativeDirectory = try freshDirectory("fileio-native-\(index)")
                let nativeRun = try run([path, "\(chunk)", "\(total)"], in: nativeDirectory)
                let guestDirectory = try freshDirectory("fileio-guest-\(index)")
                let guestRun = try run(guestCommand(path, ["\(chunk)", "\(total)"], directory: guestDirectory), in: guestDirectory,
                                       timings: true)
                trapped.add(guestRun)
                for key in ["write_mib_per_s", "read_mib_per_s"] {
                    native[key, default: Sample()].add(nativeRun) { $0.values[key] }
                    guest[key, default: Sample()].add(guestRun) { $0.values[key] }
                }
            }
            for (key, verb) in [("write_mib_per_s", "write"), ("read_mib_per_s", "read")] {
                var row = BenchRow(section: "File I/O", figure: "\(verb) 64 MiB in \(label) chunks (musl, guest root: temp dir)", unit: .mebibytesPerSecond)
                row.unikernel = guest[key]?.summary
                row.native = native[key]?.summary
                row.compare(to: row.native, named: "native", atLeast: limit, target: "≥ \(limit)× native")
                trapped.note(in: &row)
                row.noteFailures(guest: guest[key]?.failure, native: native[key]?.failure)
                results.rows.append(row)
            }
        }
    }

    // MARK: Compute

    func measureCompute(into results: inout BenchResults) throws {
        for libc in ["musl", "glibc"] {
            for program in Self.computePrograms {
                progress("compute \(program.name) (\(libc)): \(configuration.repeats) × native and guest")
                var row = BenchRow(section: "Compute", figure: "\(program.name) (\(libc)): \(program.what)", unit: .seconds)
                guard let path = binary("\(program.name)-\(libc)").path else {
                    row.note = "not run: \(binary("\(program.name)-\(libc)").failure)"
                    results.rows.append(row)
                    continue
                }
                let directory = try freshDirectory("compute")
                var native = Sample(), guest = Sample(), beyond = Sample(), resident = Sample()
                var nativeWhole = Sample(), guestWhole = Sample(), smallPages = Sample()
                var trapped = TrapShare()
                var checksums: Set<String> = []
                for _ in 0..<configuration.repeats {
                    let nativeRun = try run([path] + program.arguments, in: directory)
                    native.add(nativeRun) { $0.values["seconds"] }
                    nativeWhole.add(nativeRun) { $0.seconds }
                    let guestRun = try run(guestCommand(path, program.arguments, directory: directory), in: directory, timings: true)
                    guest.add(guestRun) { $0.values["seconds"] }
                    guestWhole.add(guestRun) { $0.seconds }
                    resident.add(guestRun) { Self.residentBytes($0) }
                    trapped.add(guestRun)
                    beyond.add(guestRun) { run in Self.residentBytes(run).map { Self.peakRSS(run) - $0 } }
                    let smallRun = try run(guestCommand(path, program.arguments, directory: directory, options: ["--no-huge-pages"]), in: directory)
                    smallPages.add(smallRun) { $0.values["seconds"] }
                    for run in [nativeRun, guestRun, smallRun] where run.status == 0 { checksums.insert(run.values["checksum"].map { "\($0)" } ?? "none") }
                }
                row.unikernel = guest.summary
                row.native = native.summary
                row.compare(to: native.summary, named: "native", atMost: 1.0, target: "≤ 1.00× native (kernel and whole process)")
                if let g = guestWhole.summary?.median, let n = nativeWhole.summary?.median {
                    row.addNote(String(format: "whole process (spawn → exit): guest %.3f s, native %.3f s (%.3f×)", g, n, g / n))
                    if row.met == true, g > n { row.met = false }
                }
                if let s = smallPages.summary?.median, let n = native.summary?.median {
                    row.addNote(String(format: "guest with --no-huge-pages: %.3f s (%.3f× native)", s, s / n))
                }
                trapped.note(in: &row)
                if checksums.count > 1 { row.addNote("checksums differ between runs: \(checksums.sorted())") }
                row.noteFailures(guest: guest.failure, native: native.failure)
                results.rows.append(row)
                if program.name == "matmul", libc == "musl" {
                    var residentRow = BenchRow(section: "Footprint", figure: "guest memory resident at exit, matmul (musl)", unit: .bytes)
                    residentRow.unikernel = resident.summary
                    var beyondRow = BenchRow(section: "Footprint", figure: "peak RSS beyond guest memory resident, matmul (musl)", unit: .bytes)
                    beyondRow.unikernel = beyond.summary
                    beyondRow.target = "≤ 20 MiB"
                    if let median = beyond.summary?.median { beyondRow.met = median <= 20 * 1048576 }
                    if let failure = guest.failure { beyondRow.note = "guest failed: \(failure)" }
                    results.rows += [residentRow, beyondRow]
                }
            }
        }
    }

    // MARK: Kernel image, suite

    func measureKernelImage(into results: inout BenchResults) {
        var row = BenchRow(section: "Footprint", figure: "kernel image size (\((configuration.kernelImagePath as NSString).lastPathComponent))", unit: .bytes)
        var info = stat()
        if stat(configuration.kernelImagePath, &info) == 0 {
            row.unikernel = Summary([Double(info.st_size)])
            row.met = info.st_size <= 1 << 20
        } else {
            row.note = "cannot stat \(configuration.kernelImagePath)"
        }
        row.target = "≤ 1 MiB"
        results.rows.append(row)
    }

    /// The whole conformance suite's wall time at --jobs 1 and 2 and, from the --jobs 2 run's
    /// report, each fixture's guest run next to the same binary's native run (the report records
    /// both per fixture, process spawn to exit).
    func measureSuite(into results: inout BenchResults) throws {
        guard let conformance = configuration.conformancePath else { return }
        for jobs in [1, 2] {
            progress("conformance suite, --jobs \(jobs)")
            var row = BenchRow(section: "Suite", figure: "`conformance run --jobs \(jobs)` wall time", unit: .seconds)
            var command = [conformance, "run", "--jobs", "\(jobs)", "--root", configuration.packageRoot,
                           "--hypervisor", configuration.hypervisorPath, "--format", "json"]
            if let kernel = configuration.kernelPath { command += ["--kernel", kernel] }
            let run = try BenchProcess.run(command, environment: environment, directory: configuration.packageRoot, scratch: scratch)
            row.unikernel = Summary([run.seconds])
            let report = try? JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
            let verdict = report.map { report in
                let passed = report.summaries.reduce(0) { $0 + $1.passed }, gaps = report.summaries.reduce(0) { $0 + $1.knownGaps }
                return "\(report.succeeded ? "pass" : "FAIL"): \(passed) passed, \(gaps) known gaps of \(report.results.count)"
            }
            row.note = "exit status \(run.status)" + (verdict.map { ", " + $0 } ?? ", no report") + " (one run; includes native runs, comparison and report)"
            if let report { row.addNote(String(format: "%.0f ms per fixture", run.seconds * 1e3 / Double(max(1, report.results.count)))) }
            results.rows.append(row)
            if jobs == 2, let report { results.rows.append(Self.suiteFixtureRow(report, jobs: jobs)) }
        }
    }

    /// Per fixture of one suite run: the guest run's wall time against the native run's (both
    /// measured by the suite itself, spawn to exit, in the same run).
    static func suiteFixtureRow(_ report: Report, jobs: Int) -> BenchRow {
        var row = BenchRow(section: "Suite", figure: "one fixture's run (`conformance run --jobs \(jobs)`): guest vs the same binary natively",
                           unit: .seconds)
        let timed = report.results.filter { $0.guestSeconds != nil && $0.nativeSeconds != nil }
        let guest = timed.compactMap(\.guestSeconds), native = timed.compactMap(\.nativeSeconds)
        row.unikernel = Summary(guest)
        row.native = Summary(native)
        if let guestMedian = row.unikernel?.median, let nativeMedian = row.native?.median, nativeMedian > 0 {
            row.ratio = guestMedian / nativeMedian
            row.ratioBase = "native"
        }
        let guestTotal = guest.reduce(0, +), nativeTotal = native.reduce(0, +)
        if !timed.isEmpty {
            row.addNote(String(format: "%d fixtures run both ways: mean %.1f ms guest vs %.1f ms native (%.2g×), sum %.1f s vs %.1f s",
                               timed.count, guestTotal * 1e3 / Double(timed.count), nativeTotal * 1e3 / Double(timed.count),
                               nativeTotal > 0 ? guestTotal / nativeTotal : 0, guestTotal, nativeTotal))
        } else {
            row.addNote("no fixture ran both ways")
        }
        return row
    }
}
