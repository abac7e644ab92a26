import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A server that runs natively on the host around each run of a fixture, native and guest
/// alike (`conformance-host-server:`): what a fixture uses to check that the guest reaches a
/// host service over its (host) sockets.
///
/// Before the run the tool picks a free loopback port, fills a fresh directory with the
/// files of `conformance-host-server-file:`, starts the server with `{port}` and `{dir}` in
/// its arguments replaced, and waits (bounded) until 127.0.0.1:port accepts a connection. The
/// fixture learns the port from `CONFORMANCE_HOST_PORT` in its environment. After the run the
/// server's process group gets SIGTERM (SIGKILL if it lingers) and the directory is removed.
public struct HostServer: Sendable, Equatable {
    /// The program: an absolute host path (`/bin/busybox`) or a fixture of the same libc, built
    /// before the fixtures run.
    public var program: ProgramPlacement.Source
    /// argv[1...], with `{port}` and `{dir}` still in them.
    public var arguments: [String]
    /// The files written into `{dir}` before the server starts.
    public var files: [File]

    public init(program: ProgramPlacement.Source, arguments: [String], files: [File] = []) {
        self.program = program
        self.arguments = arguments
        self.files = files
    }

    /// The environment variable that gives the fixture the server's port.
    public static let portVariable = "CONFORMANCE_HOST_PORT"
    /// The placeholder for the port the tool picked.
    public static let portPlaceholder = "{port}"
    /// The placeholder for the server's directory (an absolute host path).
    public static let directoryPlaceholder = "{dir}"

    /// One `conformance-host-server-file:` item: a file in the server's directory.
    public struct File: Sendable, Equatable {
        /// The path relative to the server's directory (parent folders are created).
        public var path: String
        public var contents: [UInt8]

        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }

        /// Parses `PATH=CONTENTS`, the contents with the escapes of `conformance-stdin:`.
        static func parse(_ value: String) -> Result<File, ProgramPlacement.PlacementSyntaxError> {
            guard let equals = value.firstIndex(of: "=") else {
                return .failure(.init(reason: "expected PATH=CONTENTS, got \"\(value)\""))
            }
            let path = String(value[..<equals])
            guard ProgramPlacement.isRelativePath(path) else {
                return .failure(.init(reason: "expected a path relative to the server's directory, got \"\(path)\""))
            }
            do throws(Escapes.SyntaxError) {
                return .success(File(path: path, contents: try Escapes.decode(String(value[value.index(after: equals)...]))))
            } catch {
                return .failure(.init(reason: error.reason))
            }
        }
    }

    /// Parses `PROGRAM ARGS...` (split like `conformance-args:`).
    static func parse(_ value: String) -> Result<HostServer, ProgramPlacement.PlacementSyntaxError> {
        let words: [String]
        do throws(ShellWords.SyntaxError) { words = try ShellWords.split(value) } catch { return .failure(.init(reason: error.reason)) }
        guard let first = words.first else {
            return .failure(.init(reason: "expected a program and its arguments, e.g. /bin/busybox httpd -f -p 127.0.0.1:{port} -h {dir}"))
        }
        switch ProgramPlacement.Source.parse(Substring(first)) {
        case let .success(program): return .success(HostServer(program: program, arguments: Array(words.dropFirst())))
        case let .failure(error): return .failure(error)
        }
    }

    /// The arguments with the placeholders replaced.
    public func arguments(port: UInt16, directory: String) -> [String] {
        arguments.map {
            $0.replacingOccurrences(of: Self.portPlaceholder, with: String(port))
                .replacingOccurrences(of: Self.directoryPlaceholder, with: directory)
        }
    }
}

/// A host server whose program is a host file: what `ProgramDependencies.hostServer(for:)`
/// makes of a fixture's `HostServer`.
public struct ResolvedHostServer: Sendable, Equatable {
    /// The program's absolute host path.
    public var executable: String
    public var server: HostServer

    public init(executable: String, server: HostServer) {
        self.executable = executable
        self.server = server
    }

    /// Seconds the server gets to accept its first connection.
    static let startSeconds = 10.0
    /// Seconds between SIGTERM and SIGKILL when it is stopped.
    static let stopSeconds = 2.0

    /// Starts the server, runs `body` with the port, then stops the server, also when `body` throws.
    func serving<Value>(_ body: (UInt16) async throws(RunError) -> Value) async throws(RunError) -> Value {
        let running = try await RunningHostServer.start(self)
        let value: Value
        do throws(RunError) {
            value = try await body(running.port)
        } catch {
            await running.stop()
            throw error
        }
        await running.stop()
        return value
    }
}

extension FixtureSpec {
    /// The spec with the host server's port in the environment (`CONFORMANCE_HOST_PORT`).
    func withHostPort(_ port: UInt16) -> FixtureSpec {
        var spec = self
        spec.environment.append("\(HostServer.portVariable)=\(port)")
        return spec
    }
}

extension Optional where Wrapped == ResolvedHostServer {
    /// Runs `body` with the spec it should run: around the server when there is one (its port in
    /// the environment), else `spec` as it is.
    func serving<Value>(_ spec: FixtureSpec,
                        _ body: (FixtureSpec) async throws(RunError) -> Value) async throws(RunError) -> Value {
        guard let server = self else { return try await body(spec) }
        return try await server.serving { (port) async throws(RunError) -> Value in try await body(spec.withHostPort(port)) }
    }
}

/// A started host server: its process (the leader of its own process group), port and directory.
struct RunningHostServer {
    var pid: pid_t
    var port: UInt16
    var directory: TemporaryDirectory
    var capture: TemporaryDirectory

    /// Picks a port, writes the files, spawns the server and waits until it accepts a connection.
    static func start(_ resolved: ResolvedHostServer) async throws(RunError) -> RunningHostServer {
        let command = ([resolved.executable] + resolved.server.arguments).joined(separator: " ")
        func failed(_ reason: String) -> RunError { .hostServerFailed(command: command, reason: reason) }
        let directory = try TemporaryDirectory(prefix: "conformance-server")
        let capture: TemporaryDirectory
        do throws(RunError) { capture = try TemporaryDirectory(prefix: "conformance-server-io") } catch {
            directory.remove()
            throw error
        }
        func cleanUp() {
            directory.remove()
            capture.remove()
        }
        for file in resolved.server.files {
            let target = directory.path + "/" + file.path
            do {
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try Data(file.contents).write(to: URL(fileURLWithPath: target))
            } catch {
                cleanUp()
                throw failed("cannot write \(target): \(error.localizedDescription)")
            }
        }
        guard let port = freeLoopbackPort() else {
            cleanUp()
            throw failed("no free port on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        let stdin = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let output = open(capture.path + "/output", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            for fd in [stdin, output] where fd >= 0 { close(fd) }
        }
        guard stdin >= 0, output >= 0 else {
            cleanUp()
            throw .temporaryFiles(reason: String(cString: strerror(errno)))
        }
        let request = ProcessRequest(executable: resolved.executable,
                                     arguments: [resolved.executable] + resolved.server.arguments(port: port, directory: directory.path),
                                     environment: [], workingDirectory: directory.path, timeoutSeconds: 0)
        let pid: pid_t
        do throws(RunError) {
            pid = try ProcessRunner.spawn(request, stdin: stdin, stdout: output, stderr: output)
        } catch {
            cleanUp()
            throw error
        }
        let running = RunningHostServer(pid: pid, port: port, directory: directory, capture: capture)
        let deadline = ContinuousClock.now + .milliseconds(Int64(ResolvedHostServer.startSeconds * 1000))
        while !accepts(port: port) {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let said = running.output()
                running.directory.remove()
                running.capture.remove()
                throw failed("it ended (\(ExitStatus(waitStatus: status))) before accepting a connection"
                             + (said.isEmpty ? "" : "; it wrote: \(said)"))
            }
            if ContinuousClock.now >= deadline {
                let said = running.output()
                await running.stop()
                throw failed("127.0.0.1:\(port) accepted no connection within \(Int(ResolvedHostServer.startSeconds)) s"
                             + (said.isEmpty ? "" : "; it wrote: \(said)"))
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return running
    }

    /// What the server wrote so far (stdout and stderr), trimmed to 2000 bytes.
    func output() -> String {
        let bytes = FileManager.default.contents(atPath: capture.path + "/output").map { [UInt8]($0) } ?? []
        return String(decoding: bytes.prefix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Ends the server's process group (SIGTERM, then SIGKILL), reaps it and removes its directory.
    func stop() async {
        kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(Int64(ResolvedHostServer.stopSeconds * 1000))
        while !hasEnded(), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        // The leader is not reaped yet, so its pid still names its group: whatever is left of
        // the group (a forked worker, or the leader itself past the deadline) is killed.
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        directory.remove()
        capture.remove()
    }

    /// Whether the server's process has ended, without reaping it (`WNOWAIT`).
    private func hasEnded() -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return errno != EINTR }
        return info.si_signo != 0
    }

    /// A port on 127.0.0.1 that was free a moment ago: bound with port 0, read back, closed.
    static func freeLoopbackPort() -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return bound ? UInt16(bigEndian: address.sin_port) : nil
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted (closed again at once).
    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
