import Foundation
import Glibc
import XCTest
@testable import Conformance

/// The runner's network policy, on KVM: `--net none` against its Linux oracle (the same
/// program natively under a seccomp filter that refuses internet sockets with EACCES), and
/// `--net-allow` / `--net-listen` against what they promise (the allowed address and port
/// work, every other one is EACCES, each refusal is reported once on stderr).
final class NetworkPolicyOnKVMTests: XCTestCase {
    static let probeSource = #"""
        // Tries the socket calls a policy decides and prints each outcome.
        #include <arpa/inet.h>
        #include <errno.h>
        #include <netinet/in.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/prctl.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <unistd.h>

        static const char *outcome(int result) {
            if (result >= 0) return "ok";
            switch (errno) {
            case EACCES: return "EACCES";
            case ECONNREFUSED: return "ECONNREFUSED";
            case EADDRINUSE: return "EADDRINUSE";
            default: return strerror(errno);
            }
        }

        // Classic BPF and seccomp as <linux/filter.h> and <linux/seccomp.h> define them (musl's
        // headers do not include the kernel's).
        struct sock_filter { unsigned short code; unsigned char jt, jf; unsigned int k; };
        struct sock_fprog { unsigned short len; struct sock_filter *filter; };
        #define BPF_STMT(code, k) {(unsigned short)(code), 0, 0, k}
        #define BPF_JUMP(code, k, jt, jf) {(unsigned short)(code), jt, jf, k}
        enum { BPF_LD = 0x00, BPF_W = 0x00, BPF_ABS = 0x20, BPF_JMP = 0x05, BPF_JEQ = 0x10, BPF_K = 0x00, BPF_RET = 0x06 };
        #define SECCOMP_MODE_FILTER 2
        #define SECCOMP_RET_ERRNO 0x00050000U
        #define SECCOMP_RET_ALLOW 0x7fff0000U
        // struct seccomp_data: nr at 0, the arguments from 16 on.
        enum { DATA_NR = 0, DATA_ARG0 = 16 };

        // socket(AF_INET or AF_INET6, ...) fails with EACCES; everything else is allowed.
        static void refuse_internet_sockets(void) {
            struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 4),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARG0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog program = {sizeof code / sizeof code[0], code};
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
                perror("seccomp");
                exit(3);
            }
        }

        static struct sockaddr_in v4(const char *address, int port) {
            struct sockaddr_in result = {.sin_family = AF_INET, .sin_port = htons(port)};
            inet_pton(AF_INET, address, &result.sin_addr);
            return result;
        }

        int main(int argc, char **argv) {
            if (argc >= 2 && (strcmp(argv[1], "none") == 0 || strcmp(argv[1], "seccomp") == 0)) {
                if (strcmp(argv[1], "seccomp") == 0) refuse_internet_sockets();
                printf("socket AF_INET stream: %s\n", outcome(socket(AF_INET, SOCK_STREAM, 0)));
                printf("socket AF_INET datagram: %s\n", outcome(socket(AF_INET, SOCK_DGRAM, 0)));
                printf("socket AF_INET6 stream: %s\n", outcome(socket(AF_INET6, SOCK_STREAM, 0)));
                printf("socket AF_UNIX stream: %s\n", outcome(socket(AF_UNIX, SOCK_STREAM, 0)));
                int pair[2];
                printf("socketpair AF_UNIX: %s\n", outcome(socketpair(AF_UNIX, SOCK_STREAM, 0, pair)));
                return 0;
            }
            if (argc != 4 || strcmp(argv[1], "policy") != 0) return 2;
            int allowed = atoi(argv[2]), other = atoi(argv[3]);
            struct sockaddr_in address = v4("127.0.0.1", allowed);
            int server = socket(AF_INET, SOCK_STREAM, 0);
            int on = 1;
            setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            printf("bind the allowed port: %s\n", outcome(bind(server, (struct sockaddr *)&address, sizeof address)));
            printf("listen on it: %s\n", outcome(listen(server, 4)));
            int second = socket(AF_INET, SOCK_STREAM, 0);
            address = v4("127.0.0.1", other);
            printf("bind another port: %s\n", outcome(bind(second, (struct sockaddr *)&address, sizeof address)));
            address = v4("127.0.0.1", 0);
            printf("bind port 0: %s\n", outcome(bind(second, (struct sockaddr *)&address, sizeof address)));
            printf("listen on the ephemeral port: %s\n", outcome(listen(second, 4)));
            int client = socket(AF_INET, SOCK_STREAM, 0);
            address = v4("127.0.0.1", allowed);
            printf("connect to the allowed address: %s\n", outcome(connect(client, (struct sockaddr *)&address, sizeof address)));
            for (int attempt = 0; attempt < 2; attempt++) {
                int refused = socket(AF_INET, SOCK_STREAM, 0);
                address = v4("127.0.0.2", allowed);
                printf("connect to another address: %s\n", outcome(connect(refused, (struct sockaddr *)&address, sizeof address)));
                close(refused);
            }
            int elsewhere = socket(AF_INET, SOCK_STREAM, 0);
            address = v4("127.0.0.1", other);
            printf("connect to another port: %s\n", outcome(connect(elsewhere, (struct sockaddr *)&address, sizeof address)));
            int six = socket(AF_INET6, SOCK_STREAM, 0);
            struct sockaddr_in6 loopback6 = {.sin6_family = AF_INET6, .sin6_port = htons(allowed), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
            printf("connect to ::1: %s\n", outcome(connect(six, (struct sockaddr *)&loopback6, sizeof loopback6)));
            int datagram = socket(AF_INET, SOCK_DGRAM, 0);
            address = v4("127.0.0.1", other);
            printf("sendto another port: %s\n", outcome((int)sendto(datagram, "x", 1, 0, (struct sockaddr *)&address, sizeof address)));
            address = v4("127.0.0.1", allowed);
            printf("sendto the allowed address: %s\n", outcome((int)sendto(datagram, "x", 1, 0, (struct sockaddr *)&address, sizeof address)));
            return 0;
        }
        """#

    func testNetNoneMatchesLinuxUnderASeccompFilter() async throws {
        let setup = try kvmSetup()
        for libc in [Libc.glibc, .musl] {
            let probe = try await buildProbe(libc: libc)
            let native = try await run(probe, [probe, "seccomp"])
            let guest = try await run(setup.hypervisor, guestCommand(setup, ["--net", "none"], probe, ["none"]))
            XCTAssertEqual(native.status, .exited(0), "\(libc.rawValue) native: \(text(native.stderr))")
            XCTAssertEqual(guest.status, .exited(0), "\(libc.rawValue) guest: \(text(guest.stderr))")
            XCTAssertEqual(text(guest.stdout), text(native.stdout), "\(libc.rawValue): --net none differs from Linux under seccomp")
            XCTAssertTrue(text(native.stdout).contains("socket AF_INET stream: EACCES"), text(native.stdout))
            XCTAssertTrue(text(guest.stderr).contains("refused socket of AF_INET (--net none): EACCES"), text(guest.stderr))
        }
    }

    func testAllowAndListenListsLimitInternetSockets() async throws {
        let setup = try kvmSetup()
        let probe = try await buildProbe(libc: .musl)
        let (allowed, other) = (try freePort(), try freePort())
        let guest = try await run(setup.hypervisor, guestCommand(setup, ["--net-allow", "127.0.0.1:\(allowed)",
                                                                         "--net-listen", "\(allowed)"],
                                                                 probe, ["policy", "\(allowed)", "\(other)"]))
        XCTAssertEqual(guest.status, .exited(0), text(guest.stderr))
        XCTAssertEqual(text(guest.stdout), """
            bind the allowed port: ok
            listen on it: ok
            bind another port: EACCES
            bind port 0: ok
            listen on the ephemeral port: EACCES
            connect to the allowed address: ok
            connect to another address: EACCES
            connect to another address: EACCES
            connect to another port: EACCES
            connect to ::1: EACCES
            sendto another port: EACCES
            sendto the allowed address: ok

            """)
        let refusals = text(guest.stderr).split(separator: "\n").map(String.init)
        XCTAssertEqual(refusals.filter { $0.contains("refused connect of 127.0.0.2:\(allowed) (not in --net-allow)") }.count, 1,
                       "each refusal is reported once: \(refusals)")
        XCTAssertTrue(refusals.contains("unikernel: refused bind of 127.0.0.1:\(other) (not in --net-listen): EACCES"), "\(refusals)")
        XCTAssertTrue(refusals.contains { $0.hasPrefix("unikernel: refused listen of port ") }, "\(refusals)")
        // Natively (no policy) the same steps all get past the policy's checks.
        let native = try await run(probe, [probe, "policy", "\(allowed)", "\(other)"])
        XCTAssertFalse(text(native.stdout).contains("EACCES"), text(native.stdout))
    }

    func testUnusableAllowEntriesAreCommandLineErrors() async throws {
        let setup = try kvmSetup()
        for (option, value) in [("--net-allow", "[::1"), ("--net-allow", "127.0.0.1:99999"), ("--net-listen", "0"),
                                ("--net-allow", ":80")] {
            let outcome = try await run(setup.hypervisor, ["hypervisor", option, value, "/bin/true"])
            XCTAssertEqual(outcome.status, .exited(125), "\(option) \(value)")
            XCTAssertTrue(text(outcome.stderr).contains(option), text(outcome.stderr))
        }
    }

    // MARK: support

    private func kvmSetup() throws -> KVMSetup {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run: return setup
        case let .skip(message): throw XCTSkip(message)
        case let .fail(message): XCTFail(message); throw XCTSkip(message)
        }
    }

    private func guestCommand(_ setup: KVMSetup, _ options: [String], _ probe: String, _ arguments: [String]) -> [String] {
        var command = ["hypervisor", "--timeout", "30"] + options
        if let kernel = setup.kernel { command += ["--kernel", kernel] }
        return command + [probe] + arguments
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// A loopback port no socket holds right now.
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw XCTSkip("no loopback port to test with") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private func buildProbe(libc: Libc) async throws -> String {
        let directory = try makeScratchDirectory(self)
        let source = directory + "/network_policy_probe.c"
        try write(Self.probeSource, to: source)
        let fixture = Fixture(libc: libc, name: "network_policy_probe", sourcePath: source,
                              spec: FixtureSpec(summary: "network policy probe"))
        do {
            return try await FixtureBuilder(buildRoot: directory + "/build").build(fixture)
        } catch let .compilerNotFound(compiler, package) {
            throw XCTSkip("\(compiler) is missing (\(package))")
        }
    }

    private func run(_ executable: String, _ arguments: [String]) async throws -> ProcessOutcome {
        let directory = try makeScratchDirectory(self)
        return try await ProcessRunner.run(ProcessRequest(
            executable: executable, arguments: arguments, environment: ["PATH=/usr/bin:/bin"],
            workingDirectory: directory, timeoutSeconds: 60))
    }
}
