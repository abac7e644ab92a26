import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the benchmark's inputs are and how much to run.
public struct BenchConfiguration: Sendable {
    /// `Fixtures/bench`: the benchmark programs' sources (not conformance fixtures).
    public var sourceRoot: String
    /// `.build/bench`: binaries (`bin/`) and `results.json`.
    public var buildRoot: String
    public var hypervisorPath: String
    /// Passed with --kernel when set; otherwise the hypervisor finds its own.
    public var kernelPath: String?
    /// The kernel image whose size is reported.
    public var kernelImagePath: String
    /// The `conformance` executable timed for the suite figures (nil: skip them).
    public var conformancePath: String?
    public var packageRoot: String
    /// Runs per end-to-end start figure (each of native, guest, floor).
    public var startRuns = 40
    /// Runs per micro-benchmark, file and compute figure.
    public var repeats = 3
    /// The KVM floor's VM memory. Guest runs use the runner's default limit (RAM given on
    /// demand), as a user's runs do.
    public var floorMemoryMiB = 64
    /// The sections to measure (nil: all of them).
    public var sections: Set<BenchSection>?

    public init(packageRoot: String, hypervisorPath: String) {
        self.packageRoot = packageRoot
        sourceRoot = packageRoot + "/Fixtures/bench"
        buildRoot = packageRoot + "/.build/bench"
        self.hypervisorPath = hypervisorPath
        kernelImagePath = (hypervisorPath as NSString).deletingLastPathComponent + "/unikernel.elf"
    }
}

/// The parts of the benchmark, in the order they run; `conformance bench --only` picks some.
public enum BenchSection: String, CaseIterable, Sendable {
    /// End-to-end start, its breakdown and footprint, and 16 starts at once.
    case start
    /// Null syscall and clock_gettime.
    case micro
    case files, compute, memory, threads, network
    /// fork + exit + wait, fork + execve + wait, a 3-stage pipeline.
    case processes
    /// The kernel image's size.
    case footprint
    /// The conformance suite's wall time (also skipped by `--skip-suite`).
    case suite
}

/// `conformance bench`: builds the programs in `Fixtures/bench`, runs each natively and in the
/// unikernel (and the KVM floor launcher), and collects `BenchResults`.
public final class BenchHarness {
    public let configuration: BenchConfiguration
    let progress: (String) -> Void
    let scratch: String
    let environment = ["PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"]
    var binaries: [String: String] = [:]
    var buildFailures: [String: String] = [:]

    public init(configuration: BenchConfiguration, progress: @escaping (String) -> Void) throws {
        self.configuration = configuration
        self.progress = progress
        try FileManager.default.createDirectory(atPath: configuration.buildRoot + "/bin", withIntermediateDirectories: true)
        scratch = try TemporaryDirectory(prefix: "conformance-bench").path
    }

    deinit { try? FileManager.default.removeItem(atPath: scratch) }

    /// The compute programs and their arguments (each a fraction of a second to ~1 s natively).
    static let computePrograms: [(name: String, arguments: [String], what: String)] = [
        ("matmul", ["1024"], "dense matrix multiply 1024², doubles"),
        ("sort", ["4194304"], "integer quicksort, 4 Mi × u32"),
        ("stencil", ["1024", "300"], "5-point Jacobi stencil 1024², 300 sweeps"),
        ("sha256", ["256"], "SHA-256 over 256 MiB"),
    ]
    static let microPrograms = ["syscall", "clock", "fileio", "touch"] + computePrograms.map(\.name)
    /// `go build`'s environment, as the fixture builder sets it for Fixtures/go: no cgo, the
    /// build cache and GOPATH in `.build` (shared with the fixtures), no `go env -w` file, no
    /// toolchain download and no module proxy.
    var goEnvironment: [String] {
        let parent = (configuration.buildRoot as NSString).deletingLastPathComponent
        return environment + ["CGO_ENABLED=0", "GOCACHE=\(parent)/go-cache", "GOPATH=\(parent)/go-path", "GOENV=off",
                              "GOFLAGS=", "GOTOOLCHAIN=local", "GOPROXY=off"]
    }

    // MARK: Build

    /// Compiles every benchmark program (and the KVM floor launcher) into `.build/bench/bin`.
    public func build() throws {
        let source = configuration.sourceRoot, bin = configuration.buildRoot + "/bin"
        var jobs: [(id: String, command: [String], environment: [String])] = [
            ("kvm_floor", ["gcc", "-O2", "-static", "-o", bin + "/kvm_floor", source + "/kvm_floor.c"], environment),
            ("hello-asm", ["gcc", "-nostdlib", "-static", "-o", bin + "/hello-asm", source + "/hello.S"], environment),
        ]
        for (libc, compiler) in [("musl", "musl-gcc"), ("glibc", "gcc")] {
            for program in ["hello"] + Self.microPrograms + ["thread_create"] {
                jobs.append(("\(program)-\(libc)", [compiler, "-O2", "-static", "-o", "\(bin)/\(program)-\(libc)", "\(source)/\(program).c"],
                             environment))
            }
        }
        jobs.append(("futex_pingpong-musl", ["musl-gcc", "-O2", "-static", "-o", bin + "/futex_pingpong-musl", source + "/futex_pingpong.c"],
                     environment))
        for program in ["net_stream", "net_pingpong", "fork_wait", "pipeline"] {
            jobs.append(("\(program)-musl", ["musl-gcc", "-O2", "-static", "-o", "\(bin)/\(program)-musl", "\(source)/\(program).c"],
                         environment))
        }
        jobs.append(("omp_matmul-glibc", ["gcc", "-fopenmp", "-O2", "-static", "-o", bin + "/omp_matmul-glibc", source + "/omp_matmul.c"],
                     environment))
        jobs.append(("goroutines_gc-go", ["go", "build", "-o", bin + "/goroutines_gc-go", source + "/goroutines_gc.go"], goEnvironment))
        for job in jobs {
            guard let compiler = Self.which(job.command[0]) else {
                buildFailures[job.id] = "\(job.command[0]) not found (apt-get install \(Libc.package(providing: job.command[0]) ?? job.command[0]))"
                continue
            }
            let run = try BenchProcess.run([compiler] + job.command.dropFirst(), environment: job.environment,
                                           directory: configuration.sourceRoot, scratch: scratch)
            if run.status == 0 { binaries[job.id] = bin + "/" + job.id } else {
                buildFailures[job.id] = "build failed: " + run.stderr.split(separator: "\n").prefix(2).joined(separator: " ")
            }
        }
        progress("built \(binaries.count) of \(jobs.count) benchmark programs into \(bin)")
    }

    static func which(_ tool: String) -> String? {
        for folder in ["/usr/local/bin", "/usr/bin", "/bin"] where access(folder + "/" + tool, X_OK) == 0 {
            return folder + "/" + tool
        }
        return nil
    }

    // MARK: Running

    func guestCommand(_ program: String, _ arguments: [String], directory: String, timeout: Bool = true,
                      cpus: Int? = nil, options: [String] = []) -> [String] {
        var command = [configuration.hypervisorPath, "--dir", directory] + options
        if let cpus { command += ["--cpus", "\(cpus)"] }
        if timeout { command += ["--timeout", "300"] }
        if let kernel = configuration.kernelPath { command += ["--kernel", kernel] }
        return command + [program] + arguments
    }

    /// A fresh, empty directory: the working directory of native runs and the guest's root.
    func freshDirectory(_ name: String) throws -> String {
        let path = scratch + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs `command` with the harness's environment plus `extraEnvironment` (which the
    /// hypervisor passes on to the guest program).
    func run(_ command: [String], in directory: String, timings: Bool = false, extraEnvironment: [String] = []) throws -> TimedRun {
        try BenchProcess.run(command, environment: environment + extraEnvironment + (timings ? ["UNIKERNEL_TIMINGS=1"] : []),
                             directory: directory, scratch: scratch)
    }

    /// Runs the whole benchmark.
    public func measure() throws -> BenchResults {
        var results = BenchResults(date: ISO8601DateFormatter().string(from: Date()), host: Self.hostDescription(),
                                   runsPerStartFigure: configuration.startRuns, repeatsPerFigure: configuration.repeats)
        results.loadAverageStart = Self.loadAverage()
        let chosen = configuration.sections ?? Set(BenchSection.allCases)
        for section in BenchSection.allCases where chosen.contains(section) {
            switch section {
            case .start:
                try measureStart(into: &results)
                try measureConcurrentStart(into: &results)
            case .micro: try measureMicro(into: &results)
            case .files: try measureFiles(into: &results)
            case .compute: try measureCompute(into: &results)
            case .memory: try measureMemory(into: &results)
            case .threads: try measureThreads(into: &results)
            case .network: try measureNetwork(into: &results)
            case .processes: try measureProcesses(into: &results)
            case .footprint: measureKernelImage(into: &results)
            case .suite: try measureSuite(into: &results)
            }
        }
        results.loadAverageEnd = Self.loadAverage()
        return results
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap { $0.split(separator: " ").first.map(String.init) } ?? "?"
    }

    static func hostDescription() -> String {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "Linux \(release), \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
    }
}
