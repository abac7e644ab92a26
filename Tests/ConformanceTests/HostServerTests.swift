import Foundation
import XCTest
@testable import Conformance

/// `conformance-host-server:` and `conformance-host-server-file:`: parsing, the server's start
/// (port, files, waiting for it to accept) and stop, and a fixture fetching from it on both sides.
final class HostServerTests: XCTestCase {
    private func parse(_ header: String) throws -> FixtureSpec {
        try FixtureSpec.parse("// Checks a host server.\n" + header + "int main(void) { return 0; }\n",
                              commentPrefix: "//", path: "musl/x.c")
    }

    func testParsesTheServerCommandAndItsFiles() throws {
        let spec = try parse("""
            // conformance-host-server: /bin/busybox httpd -f -p 127.0.0.1:{port} -h "{dir}"
            // conformance-host-server-file: hello.txt=Hello\\nthere\\x21\\n
            // conformance-host-server-file: sub/empty.txt=
            // conformance-host-server-file: a=b=c

            """)
        XCTAssertEqual(spec.hostServer, HostServer(
            program: .hostPath("/bin/busybox"), arguments: ["httpd", "-f", "-p", "127.0.0.1:{port}", "-h", "{dir}"],
            files: [HostServer.File(path: "hello.txt", contents: Array("Hello\nthere!\n".utf8)),
                    HostServer.File(path: "sub/empty.txt", contents: []),
                    HostServer.File(path: "a", contents: Array("b=c".utf8))]))
        let fixtureServer = try parse("// conformance-host-server: echo_server --port {port}\n").hostServer
        XCTAssertEqual(fixtureServer, HostServer(program: .fixture("echo_server"), arguments: ["--port", "{port}"]))
        XCTAssertNil(try parse("").hostServer)
        XCTAssertTrue(FixtureSpec.directiveKeys.contains("host-server") && FixtureSpec.directiveKeys.contains("host-server-file"))
    }

    func testRejectsBadServerDirectivesNamingTheLine() {
        let cases: [(String, String)] = [
            ("// conformance-host-server:\n", "x.c:2: conformance-host-server: expected a program and its arguments"),
            ("// conformance-host-server: ./server {port}\n", "expected a fixture name (e.g. exec_target) or an absolute host path"),
            ("// conformance-host-server: /bin/a\n// conformance-host-server: /bin/b\n",
             "x.c:3: conformance-host-server: a fixture has one host server"),
            ("// conformance-host-server: /bin/a \"unclosed\n", "conformance-host-server:"),
            ("// conformance-host-server: /bin/a\n// conformance-host-server-file: no-equals\n",
             "x.c:3: conformance-host-server-file: expected PATH=CONTENTS"),
            ("// conformance-host-server: /bin/a\n// conformance-host-server-file: ../up=x\n",
             "expected a path relative to the server's directory, got \"../up\""),
            ("// conformance-host-server: /bin/a\n// conformance-host-server-file: /abs=x\n",
             "expected a path relative to the server's directory"),
            ("// conformance-host-server: /bin/a\n// conformance-host-server-file: f=trailing\\\n", "trailing backslash"),
            ("// conformance-host-server: /bin/a\n// conformance-host-server-file: f=1\n// conformance-host-server-file: f=2\n",
             "x.c:4: conformance-host-server-file: f is given twice"),
            ("// conformance-host-server-file: f=1\n",
             "x.c:2: conformance-host-server-file: there is no conformance-host-server: to serve it"),
        ]
        for (header, reason) in cases {
            XCTAssertThrowsError(try parse(header), header) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(header): \(error)")
            }
        }
    }

    func testPlaceholdersAreReplacedInEveryArgument() {
        let server = HostServer(program: .hostPath("/bin/x"), arguments: ["-p", "127.0.0.1:{port}", "{dir}/root", "{port}{port}"])
        XCTAssertEqual(server.arguments(port: 8080, directory: "/tmp/s"), ["-p", "127.0.0.1:8080", "/tmp/s/root", "80808080"])
        XCTAssertEqual(FixtureSpec(summary: "s", environment: ["A=1"]).withHostPort(8080).environment,
                       ["A=1", "CONFORMANCE_HOST_PORT=8080"])
    }

    func testAMissingServerProgramIsABuildFailureNamingIt() throws {
        let scratch = try makeScratchDirectory(self)
        let dependencies = ProgramDependencies(built: ["musl/server": .success("/out/musl/server")])
        func resolve(_ program: ProgramPlacement.Source) -> Result<ResolvedHostServer?, BuildError> {
            dependencies.hostServer(for: Fixture(libc: .musl, name: "client", sourcePath: "/src/client.c", spec: FixtureSpec(
                summary: "s", hostServer: HostServer(program: program, arguments: ["{port}"]))))
        }
        XCTAssertEqual(try resolve(.fixture("server")).get()?.executable, "/out/musl/server")
        XCTAssertEqual(try resolve(.hostPath("/bin/sh")).get()?.executable, "/bin/sh")
        guard case let .failure(error) = resolve(.hostPath(scratch + "/missing")) else { return XCTFail("no failure") }
        XCTAssertEqual(error.description, "musl/client: conformance-host-server: cannot start \(scratch)/missing: no such file on the host")
        XCTAssertNil(try dependencies.hostServer(for: Fixture(libc: .musl, name: "plain", sourcePath: "/p.c",
                                                              spec: FixtureSpec(summary: "s"))).get())
    }

    private func busybox() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            throw XCTSkip("/bin/busybox is missing (Debian package busybox-static)")
        }
        return "/bin/busybox"
    }

    func testTheServerRunsWithItsFilesUntilStopped() async throws {
        let server = ResolvedHostServer(executable: try busybox(), server: HostServer(
            program: .hostPath("/bin/busybox"), arguments: ["httpd", "-f", "-p", "127.0.0.1:{port}", "-h", "{dir}"],
            files: [HostServer.File(path: "sub/file.txt", contents: Array("served\n".utf8))]))
        let running = try await RunningHostServer.start(server)
        XCTAssertTrue(RunningHostServer.accepts(port: running.port))
        XCTAssertEqual(try String(contentsOfFile: running.directory.path + "/sub/file.txt", encoding: .utf8), "served\n")
        await running.stop()
        XCTAssertEqual(kill(running.pid, 0), -1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: running.directory.path))
        XCTAssertFalse(RunningHostServer.accepts(port: running.port))
    }

    func testAServerThatEndsBeforeAcceptingIsARunError() async throws {
        let server = ResolvedHostServer(executable: "/bin/sh", server: HostServer(
            program: .hostPath("/bin/sh"), arguments: ["-c", "echo cannot listen on {port} >&2; exit 3"]))
        do {
            _ = try await server.serving { (_) async throws(RunError) -> Int in 0 }
            XCTFail("the server started")
        } catch {
            guard case let .hostServerFailed(command, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(command.hasPrefix("/bin/sh -c echo"), command)
            XCTAssertTrue(reason.hasPrefix("it ended (exit 3) before accepting a connection; it wrote: cannot listen on "), reason)
        }
    }

    /// A fixture fetching a file from busybox httpd on the host passes natively and with a "guest"
    /// that runs natively: the tool starts the server around each run and passes its port.
    func testAFixtureFetchesFromTheHostServerOnBothSides() async throws {
        let busybox = try busybox()
        let root = try makeScratchDirectory(self)
        try write("""
            // Fetches hello.txt from the host server and prints the body.
            // conformance-host-server: \(busybox) httpd -f -p 127.0.0.1:{port} -h {dir}
            // conformance-host-server-file: hello.txt=from the host\\n
            #include <arpa/inet.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <unistd.h>
            int main(void) {
                const char *port = getenv("CONFORMANCE_HOST_PORT");
                if (!port) return 2;
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
                address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 3;
                const char request[] = "GET /hello.txt HTTP/1.0\\r\\n\\r\\n";
                write(fd, request, sizeof request - 1);
                static char response[4096];
                size_t done = 0;
                ssize_t n;
                while ((n = read(fd, response + done, sizeof response - 1 - done)) > 0) done += n;
                char *body = strstr(response, "\\r\\n\\r\\n");
                printf("%s", body ? body + 4 : "no body\\n");
                return 0;
            }
            """, to: root + "/Fixtures/glibc/fetch.c")
        try write("", to: root + "/Fixtures/known-gaps.txt")
        let configuration = SuiteConfiguration(packageRoot: root)
        let native = try await ConformanceSuite(configuration: configuration).run(guest: nil)
        XCTAssertEqual(native.results.map(\.id), ["glibc/fetch"])
        XCTAssertEqual(native.results.first?.verdict.outcome, .pass, native.results.first?.verdict.summary ?? "")
        let stub = try await makeNativeHypervisorStub(in: try makeScratchDirectory(self))
        let guest = try await ConformanceSuite(configuration: configuration).run(guest: GuestExecutor(hypervisorPath: stub))
        XCTAssertEqual(guest.results.first?.verdict.outcome, .pass, guest.results.first?.verdict.details.joined(separator: "; ") ?? "")
        // What the fixture printed: the server's file (the suite compares, so print it here too).
        let binary = root + "/.build/fixtures/glibc/fetch"
        let server: ResolvedHostServer? = try XCTUnwrap(try ProgramDependencies().hostServer(for: Fixture(
            libc: .glibc, name: "fetch", sourcePath: root + "/Fixtures/glibc/fetch.c",
            spec: FixtureSpec.parse(String(contentsOfFile: root + "/Fixtures/glibc/fetch.c", encoding: .utf8),
                                    commentPrefix: "//", path: "fetch.c"))).get())
        let observation = try await server.serving(FixtureSpec(summary: "s")) { (spec) async throws(RunError) -> Observation in
            try await NativeExecutor().run(binaryPath: binary, spec: spec, timeoutSeconds: 10)
        }
        XCTAssertEqual(String(decoding: observation.outcome.stdout, as: UTF8.self), "from the host\n")
    }
}
