import Foundation

/// Why a fixture could not be built.
public enum BuildError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libc's compiler is not on the PATH.
    case compilerNotFound(compiler: String, package: String)
    /// The output folder could not be created.
    case outputFolder(path: String, reason: String)
    /// The compiler could not be started.
    case compilerNotStarted(fixture: String, reason: String)
    /// The compiler ran and failed; `output` is its stderr (and stdout).
    case compilerFailed(fixture: String, command: String, status: ExitStatus, output: String)
    /// The header of the source is invalid.
    case invalidFixture(FixtureError)
    /// `--prebuilt` was given and the fixture's binary is not there.
    case notPrebuilt(fixture: String, path: String)
    /// A program the fixture places in its working directory (`conformance-programs:`) is not
    /// there: a fixture that does not exist or did not build, or a missing host file.
    case missingProgram(fixture: String, program: String, reason: String)
    /// The program of the fixture's host server (`conformance-host-server:`) is not there.
    case missingServerProgram(fixture: String, program: String, reason: String)

    public var description: String {
        switch self {
        case let .compilerNotFound(compiler, package):
            "\(compiler) is not on the PATH (Debian package: \(package); install it with `apt-get install -y \(package)`, or `make deps`)"
        case let .outputFolder(path, reason):
            "cannot create \(path): \(reason)"
        case let .compilerNotStarted(fixture, reason):
            "\(fixture): cannot start the compiler: \(reason)"
        case let .compilerFailed(fixture, command, status, output):
            "\(fixture): `\(command)` failed (\(status)): \(output)"
        case let .invalidFixture(error):
            error.description
        case let .notPrebuilt(fixture, path):
            "\(fixture): no prebuilt binary at \(path) (--prebuilt never compiles; run `conformance build` first)"
        case let .missingProgram(fixture, program, reason):
            "\(fixture): conformance-programs: cannot place \(program): \(reason)"
        case let .missingServerProgram(fixture, program, reason):
            "\(fixture): conformance-host-server: cannot start \(program): \(reason)"
        }
    }
}

/// Compiles fixtures into `<buildRoot>/<libc>/<name>`, skipping those whose binary is
/// newer than their source.
public struct FixtureBuilder: Sendable {
    /// Where binaries go, normally `<package>/.build/fixtures` (never the source tree).
    public var buildRoot: String
    /// The compiler's environment (its PATH finds the compiler and its tools).
    public var environment: [String: String]
    /// The longest a single compilation may take.
    public var timeoutSeconds: Double = 120
    /// Take the binaries already under `buildRoot` as they are and never start a compiler
    /// (a machine with no toolchain, such as the emulated-SVM host of `make test-svm`).
    public var prebuiltOnly = false

    public init(buildRoot: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.buildRoot = buildRoot
        self.environment = environment
    }

    /// The path a fixture's binary is built at.
    public func binaryPath(for fixture: Fixture) -> String {
        "\(buildRoot)/\(fixture.libc.rawValue)/\(fixture.name)"
    }

    /// Whether the binary exists and is at least as new as the source and every file in the
    /// `include/` folder next to it (code shared by fixtures through `#include`).
    public func isUpToDate(_ fixture: Fixture) -> Bool {
        guard let binary = modificationDate(binaryPath(for: fixture)),
              let source = modificationDate(fixture.sourcePath) else { return false }
        let includes = (fixture.sourcePath as NSString).deletingLastPathComponent + "/include"
        let shared = ((try? FileManager.default.contentsOfDirectory(atPath: includes)) ?? [])
            .compactMap { modificationDate(includes + "/" + $0) }
        return binary >= source && shared.allSatisfy { binary >= $0 }
    }

    /// Builds a fixture unless it is up to date (or `force` is set); with `prebuiltOnly`, only
    /// checks that its binary exists.
    /// - Returns: the absolute path of the binary.
    @discardableResult
    public func build(_ fixture: Fixture, force: Bool = false) async throws(BuildError) -> String {
        let output = binaryPath(for: fixture)
        if prebuiltOnly {
            guard FileManager.default.isExecutableFile(atPath: output) else {
                throw .notPrebuilt(fixture: fixture.id, path: output)
            }
            return output
        }
        if !force && isUpToDate(fixture) { return output }
        let folder = (output as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .outputFolder(path: folder, reason: error.localizedDescription)
        }
        let command = try await command(for: fixture, output: output)
        guard let compiler = findExecutable(command[0]) else {
            throw .compilerNotFound(compiler: command[0],
                                    package: Libc.package(providing: command[0]) ?? fixture.libc.compilerPackage)
        }
        let outcome: ProcessOutcome
        do throws(RunError) {
            outcome = try await ProcessRunner.run(ProcessRequest(
                executable: compiler,
                arguments: command,
                environment: compilerEnvironment(for: fixture).map { "\($0.key)=\($0.value)" }.sorted(),
                workingDirectory: folder,
                timeoutSeconds: timeoutSeconds
            ))
        } catch {
            throw .compilerNotStarted(fixture: fixture.id, reason: error.description)
        }
        guard outcome.status == .exited(0), !outcome.timedOut else {
            try? FileManager.default.removeItem(atPath: output)
            let text = String(decoding: outcome.stderr + outcome.stdout, as: UTF8.self)
            throw .compilerFailed(fixture: fixture.id, command: command.joined(separator: " "),
                                  status: outcome.status, output: text.trimmingWhitespace())
        }
        return output
    }

    /// The compiler's environment for a fixture: the builder's, and for Go the settings that make
    /// `go build` work the same as root, in CI and offline: no cgo (a static binary that needs no
    /// C toolchain), its build cache and GOPATH next to `buildRoot` (`.build/go-cache`, never in
    /// `$HOME`, and not among the binaries that `--prebuilt` runs ship), no user `go env -w` file,
    /// no toolchain download (`GOTOOLCHAIN=local`) and no module proxy.
    public func compilerEnvironment(for fixture: Fixture) -> [String: String] {
        guard fixture.libc == .go else { return environment }
        let parent = (buildRoot as NSString).deletingLastPathComponent
        var environment = environment
        environment["CGO_ENABLED"] = "0"
        environment["GOCACHE"] = "\(parent)/go-cache"
        environment["GOPATH"] = "\(parent)/go-path"
        environment["GOENV"] = "off"
        environment["GOFLAGS"] = ""
        environment["GOTOOLCHAIN"] = "local"
        environment["GOPROXY"] = "off"
        return environment
    }

    /// The whole compiler command for a fixture: the libc's compiler (g++ for C++) and link
    /// mode, the fixture's `conformance-cflags:`, `-o <output> <source>`, then its
    /// `conformance-ldflags:` (after the source, so that static libraries resolve its references).
    public func command(for fixture: Fixture, output: String) async throws(BuildError) -> [String] {
        let spec = fixture.spec
        var command = fixture.libc.compilerCommand(language: fixture.language, link: spec.linkMode)
        var trailing: [String] = []
        if fixture.libc == .musl && spec.linkMode == .staticPIE {
            // Debian's musl-gcc specs know no -static-pie: they would link Scrt1.o against
            // libc.so with an interpreter. Use musl's self-relocating rcrt1.o and libc.a instead.
            let crt = try await muslStartFileFolder()
            let crtBegin = try await gccFileName("crtbeginS.o")
            let crtEnd = try await gccFileName("crtendS.o")
            command += ["-nostartfiles", "\(crt)/rcrt1.o", "\(crt)/crti.o", crtBegin,
                        "-Wl,-Bstatic", "-Wl,--no-dynamic-linker", "-Wl,-z,text"]
            trailing = [crtEnd, "\(crt)/crtn.o"]
        }
        return command + expand(spec.compilerFlags) + ["-o", output, fixture.sourcePath] + expand(spec.linkerFlags) + trailing
    }

    /// The folder `{build}` names in a fixture's flags: the parent of `buildRoot` (normally
    /// `.build`), where `make third-party` puts libraries no Debian package has for musl
    /// (`-I{build}/third-party/sqlite-musl`).
    public var buildFolder: String { (buildRoot as NSString).deletingLastPathComponent }

    /// Flags with `{build}` replaced by `buildFolder`.
    func expand(_ flags: [String]) -> [String] {
        flags.map { $0.replacingOccurrences(of: "{build}", with: buildFolder) }
    }

    /// The folder holding musl's start files (`Scrt1.o`, `rcrt1.o`, `crti.o`), read from the
    /// link command `musl-gcc -###` would run (its specs file names `Scrt1.o` by full path).
    func muslStartFileFolder() async throws(BuildError) -> String {
        let commands = try await capture(["musl-gcc", "-###", "-x", "c", "/dev/null", "-o", "/dev/null"])
        for word in commands.split(whereSeparator: { " \n\t\"'".contains($0) }) where word.hasSuffix("/Scrt1.o") {
            return String(word.dropLast("/Scrt1.o".count))
        }
        throw .compilerFailed(fixture: "musl-gcc", command: "musl-gcc -### -x c /dev/null -o /dev/null",
                              status: .exited(0), output: "no Scrt1.o in the link command")
    }

    /// `gcc -print-file-name=NAME`: where gcc's own support files (crtbeginS.o) live.
    func gccFileName(_ name: String) async throws(BuildError) -> String {
        try await capture(["gcc", "-print-file-name=\(name)"]).trimmingWhitespace()
            .split(separator: "\n").first.map(String.init) ?? name
    }

    /// Runs a compiler query and returns its stdout and stderr (`-###` writes to stderr).
    private func capture(_ command: [String]) async throws(BuildError) -> String {
        guard let executable = findExecutable(command[0]) else {
            throw .compilerNotFound(compiler: command[0], package: Libc.package(providing: command[0]) ?? command[0])
        }
        let outcome: ProcessOutcome
        do throws(RunError) {
            outcome = try await ProcessRunner.run(ProcessRequest(
                executable: executable, arguments: command,
                environment: environment.map { "\($0.key)=\($0.value)" }.sorted(),
                workingDirectory: FileManager.default.currentDirectoryPath, timeoutSeconds: timeoutSeconds))
        } catch {
            throw .compilerNotStarted(fixture: command[0], reason: error.description)
        }
        guard outcome.status == .exited(0) else {
            throw .compilerFailed(fixture: command[0], command: command.joined(separator: " "), status: outcome.status,
                                  output: String(decoding: outcome.stderr, as: UTF8.self).trimmingWhitespace())
        }
        return String(decoding: outcome.stdout + outcome.stderr, as: UTF8.self)
    }

    /// The absolute path of `name` in the builder's PATH, or nil.
    func findExecutable(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
