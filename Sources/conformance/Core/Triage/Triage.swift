import Foundation

/// Why triage could not start (a failing program is a result, not an error).
public enum TriageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The argument is neither a fixture id nor an existing file.
    case unknownTarget(String, fixtures: [String])
    case build(BuildError)
    case run(RunError)
    case fixtures(FixtureError)
    /// `strace` is not installed.
    case straceMissing

    public var description: String {
        switch self {
        case let .unknownTarget(target, fixtures):
            let close = fixtures.filter { $0.contains(target.split(separator: "/").last.map(String.init) ?? target) }
            return "\(target) is neither a fixture id (libc/name) nor a program file"
                + (close.isEmpty ? "" : "; did you mean " + close.prefix(5).joined(separator: ", ") + "?")
        case let .build(error): return error.description
        case let .run(error): return error.description
        case let .fixtures(error): return error.description
        case .straceMissing:
            return "strace is not installed (apt-get install strace; `make` installs it when run as root)"
        }
    }
}

/// What to triage and how: a program (built fixture or any static binary), its arguments,
/// and the runner options that inject faults.
public struct TriageRequest: Sendable {
    /// A display name: the fixture id or the program path.
    public var name: String
    /// The program's absolute path.
    public var binaryPath: String
    /// argv beyond argv[0], environment, stdin and timeout, as for a fixture run.
    public var spec: FixtureSpec
    /// Seconds each side may run.
    public var timeoutSeconds: Double
    /// Extra runner options placed before the program (`--debug-fault no-sse`).
    public var guestOptions: [String]
    /// The programs a fixture places in its working directory (`conformance-programs:`), on both sides.
    public var programs: [PlacedProgram]
    /// The fixture's host server (`conformance-host-server:`), started around each run.
    public var hostServer: ResolvedHostServer?

    public init(name: String, binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double = 10,
                guestOptions: [String] = [], programs: [PlacedProgram] = [], hostServer: ResolvedHostServer? = nil) {
        self.name = name
        self.binaryPath = binaryPath
        self.spec = spec
        self.timeoutSeconds = timeoutSeconds
        self.guestOptions = guestOptions
        self.programs = programs
        self.hostServer = hostServer
    }

    /// A request for `target`: a fixture id (`musl/hello`, built if needed) or a program path.
    /// `arguments`, when given, replace the fixture's own.
    public static func resolve(_ target: String, arguments: [String]?, configuration: SuiteConfiguration,
                               timeoutSeconds: Double, guestOptions: [String]) async throws(TriageError) -> TriageRequest {
        let catalog: FixtureCatalog
        do throws(FixtureError) {
            catalog = try FixtureCatalog.discover(in: configuration.fixturesRoot)
        } catch {
            throw .fixtures(error)
        }
        if let fixture = catalog.fixtures.first(where: { $0.id == target }) {
            let binary: String
            let programs: [PlacedProgram]
            let server: ResolvedHostServer?
            do throws(BuildError) {
                let dependencies = await ProgramDependencies.build(
                    for: [fixture], fixturesRoot: configuration.fixturesRoot, builder: configuration.fixtureBuilder,
                    force: false, jobs: configuration.jobs)
                binary = try await ConformanceSuite.build(fixture, builder: configuration.fixtureBuilder, force: false,
                                                          dependencies: dependencies)
                programs = try dependencies.programs(for: fixture).get()
                server = try dependencies.hostServer(for: fixture).get()
            } catch {
                throw .build(error)
            }
            var spec = fixture.spec
            if let arguments { spec.arguments = arguments }
            return TriageRequest(name: fixture.id, binaryPath: binary, spec: spec,
                                 timeoutSeconds: fixture.spec.timeoutSeconds ?? timeoutSeconds, guestOptions: guestOptions,
                                 programs: programs, hostServer: server)
        }
        let path = target.hasPrefix("/") ? target : FileManager.default.currentDirectoryPath + "/" + target
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .unknownTarget(target, fixtures: catalog.fixtures.map(\.id))
        }
        let environment = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C"]
        return TriageRequest(name: target, binaryPath: URL(fileURLWithPath: path).standardized.path,
                             spec: FixtureSpec(summary: "", arguments: arguments ?? [], environment: environment),
                             timeoutSeconds: timeoutSeconds, guestOptions: guestOptions)
    }
}

/// Runs one program natively under `strace -f -qq` and in the guest with `--trace-file`,
/// then lines the two syscall traces up and collects everything a person needs to see why
/// the guest differs: the first divergence, refused syscalls, output differences, crash report.
public struct Triage: Sendable {
    public var guest: GuestExecutor
    /// The strace binary (found on PATH when nil).
    public var stracePath: String?
    /// Syscalls the kernel refuses on purpose, name to note (see `refusedByDesign(in:)`).
    public var refusedByDesign: [String: String]

    public init(guest: GuestExecutor, stracePath: String? = nil, refusedByDesign: [String: String] = [:]) {
        self.guest = guest
        self.stracePath = stracePath
        self.refusedByDesign = refusedByDesign
    }

    /// The `.refused` rows of the kernel's syscall table under `packageRoot`, name to note.
    public static func refusedByDesign(packageRoot: String) throws(SyscallTableError) -> [String: String] {
        let table = try SyscallTableParser.load(path: packageRoot + "/" + SyscallTableParser.relativePath)
        return Dictionary(table.filter { $0.support == .refused }.map { ($0.name, $0.note) },
                          uniquingKeysWith: { first, _ in first })
    }

    /// `strace` on the PATH, or in the usual places.
    static func findStrace() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/local/bin"]
        return folders.map { $0 + "/strace" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The runner option that turns the kernel's syscall-site rewriting off.
    static let noSyscallPatching = "--no-syscall-patching"

    public func run(_ request: TriageRequest) async throws(TriageError) -> TriageReport {
        do throws(RunError) { try guest.validate() } catch { throw .run(error) }
        guard let strace = stracePath ?? Self.findStrace() else { throw .straceMissing }
        let scratch: TemporaryDirectory
        do throws(RunError) { scratch = try TemporaryDirectory(prefix: "conformance-triage") } catch { throw .run(error) }
        defer { scratch.remove() }
        let nativeTrace = scratch.path + "/native.strace"
        let guestTrace = scratch.path + "/guest.trace"
        let timeout = request.timeoutSeconds

        /// The guest run of the program, with the runner options `options` in front.
        func guestRequest(in directory: String, spec: FixtureSpec, options: [String]) -> ProcessRequest {
            var arguments = guest.arguments(directory: directory, binaryPath: request.binaryPath, spec: spec,
                                            timeoutSeconds: timeout)
            arguments.insert(contentsOf: options + request.guestOptions, at: 1)
            return ProcessRequest(executable: guest.hypervisorPath, arguments: arguments,
                                  environment: spec.environment, stdin: spec.stdin,
                                  workingDirectory: directory, timeoutSeconds: timeout + guest.killGraceSeconds)
        }
        let native: Observation
        let guestRun: Observation
        do throws(RunError) {
            native = try await observe(prefix: "conformance-native", request: request) { directory, spec in
                ProcessRequest(executable: strace,
                               arguments: ["strace", "-f", "-qq", "-o", nativeTrace, "--", request.binaryPath] + spec.arguments,
                               environment: spec.environment, stdin: spec.stdin,
                               workingDirectory: directory, timeoutSeconds: timeout * 4)
            }
            guestRun = try await observe(prefix: "conformance-guest", request: request) {
                guestRequest(in: $0, spec: $1, options: ["--trace-file", guestTrace])
            }
        } catch {
            throw .run(error)
        }
        let nativeEvents = SyscallTrace.parse((try? String(contentsOfFile: nativeTrace, encoding: .utf8)) ?? "")
        let guestEvents = SyscallTrace.parse((try? String(contentsOfFile: guestTrace, encoding: .utf8)) ?? "")
        // strace slows the native side down; only the guest's time is held to the timeout.
        var unhurried = native
        unhurried.outcome.seconds = 0
        let verdict = Comparison.compare(native: unhurried, guest: guestRun, timeoutSeconds: timeout, spec: request.spec)
        var unpatchedVerdict: Verdict?
        if verdict.outcome != .pass, !request.guestOptions.contains(Self.noSyscallPatching) {
            // A control run: the same guest with every syscall trapping.
            do throws(RunError) {
                let control = try await observe(prefix: "conformance-guest", request: request) {
                    guestRequest(in: $0, spec: $1, options: [Self.noSyscallPatching])
                }
                unpatchedVerdict = Comparison.compare(native: unhurried, guest: control, timeoutSeconds: timeout, spec: request.spec)
            } catch {
                throw .run(error)
            }
        }
        var report = TriageReport(
            name: request.name, binaryPath: request.binaryPath, guestOptions: request.guestOptions,
            native: native.outcome, guest: guestRun.outcome,
            nativeEvents: nativeEvents, guestEvents: guestEvents,
            alignment: TraceAlignment(native: nativeEvents, guest: guestEvents),
            refused: TraceAlignment.refusedInGuest(native: nativeEvents, guest: guestEvents),
            verdict: verdict,
            crashReport: TriageReport.crashReport(in: guestRun.outcome.stderr),
            refusedByDesign: refusedByDesign)
        report.unpatchedVerdict = unpatchedVerdict
        return report
    }

    /// One run in a fresh directory holding the request's programs, around its host server if
    /// it has one; `makeRequest` gets the directory and the spec (with the server's port).
    private func observe(prefix: String, request: TriageRequest,
                         _ makeRequest: (String, FixtureSpec) -> ProcessRequest) async throws(RunError) -> Observation {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        let placed = try PlacedProgram.place(request.programs, in: directory.path)
        let outcome = try await request.hostServer.serving(request.spec) { (spec) async throws(RunError) -> ProcessOutcome in
            try await ProcessRunner.run(makeRequest(directory.path, spec))
        }
        return Observation(outcome: outcome, files: try FileTree.snapshot(of: directory.path).recordingPlacedPrograms(placed))
    }
}
