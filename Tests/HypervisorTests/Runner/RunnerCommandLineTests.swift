import Testing
@testable import Hypervisor

/// `hypervisor [options] <program> [args...]`: the hand-written command-line parser.
@Suite("runner command line")
struct RunnerCommandLineTests {
    private func parse(_ arguments: [String]) throws -> RunnerCommandLine {
        guard case let .run(line) = try RunnerCommandLine.parse(arguments) else {
            Issue.record("expected a run request for \(arguments)")
            return RunnerCommandLine()
        }
        return line
    }

    private func usageError(_ arguments: [String]) -> String? {
        do {
            _ = try RunnerCommandLine.parse(arguments)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func programAndItsArgumentsAreTakenVerbatim() throws {
        let line = try parse(["./prog", "--memory", "1G", "-x", "--", "--trace"])
        #expect(line.program == "./prog")
        #expect(line.arguments == ["--memory", "1G", "-x", "--", "--trace"])
        #expect(line.memory == nil)
        #expect(line.trace == false)
    }

    @Test func optionsTakeSeparateOrInlineValuesAndRepeat() throws {
        let line = try parse(["--memory", "128M", "--dir=/tmp/root", "--env", "A=1", "--env=B=2", "--timeout", "2.5",
                              "--debug-refuse-syscall", "mmap", "--debug-refuse-syscall=brk", "--kernel", "k.elf", "prog"])
        #expect(line.memory == "128M")
        #expect(line.dir == "/tmp/root")
        #expect(line.env == ["A=1", "B=2"])
        #expect(line.timeout == 2.5)
        #expect(line.debugRefuseSyscall == ["mmap", "brk"])
        #expect(line.kernel == "k.elf")
        #expect(line.program == "prog")
    }

    @Test func everyFlagIsRecognised() throws {
        let line = try parse(["--read-only", "--no-aslr", "--no-syscall-patching", "--no-huge-pages", "--clear-env", "--trace",
                              "--trace-file", "t.txt", "--debug-fault", "no-sse", "prog"])
        #expect(line.readOnly && line.noASLR && line.noSyscallPatching && line.noHugePages && line.clearEnv && line.trace)
        #expect(line.traceFile == "t.txt")
        #expect(line.debugFault == ["no-sse"])
        #expect(line.dir == ".")
    }

    @Test func doubleDashEndsTheOptions() throws {
        let line = try parse(["--trace", "--", "--looks-like-an-option", "x"])
        #expect(line.program == "--looks-like-an-option")
        #expect(line.arguments == ["x"])
    }

    @Test func versionIsARequestOfItsOwn() throws {
        #expect(try RunnerCommandLine.parse(["--version"]) == .version)
        #expect(try RunnerCommandLine.parse(["--no-aslr", "--version", "prog"]) == .version)
        #expect(RunnerCommandLine.helpText.contains("--version"))
    }

    @Test func helpIsARequestOfItsOwn() throws {
        #expect(try RunnerCommandLine.parse(["--help"]) == .help)
        #expect(try RunnerCommandLine.parse(["--trace", "-h", "prog"]) == .help)
        let help = RunnerCommandLine.helpText
        for option in RunnerCommandLine.options {
            #expect(help.contains("--\(option.name)"), "help lists --\(option.name)")
        }
    }

    @Test func badCommandLinesGetOneLineReasons() {
        #expect(usageError([]) == "missing <program>")
        #expect(usageError(["--trace"]) == "missing <program>")
        #expect(usageError(["--bogus", "prog"]) == "unknown option '--bogus'")
        #expect(usageError(["-q", "prog"]) == "unknown option '-q'")
        #expect(usageError(["--memory"]) == "--memory needs a value")
        #expect(usageError(["--trace=yes", "prog"]) == "--trace takes no value")
        #expect(usageError(["--timeout", "soon", "prog"]) == "invalid --timeout 'soon' (expected seconds)")
    }
}

extension RunnerCommandLineTests {
    @Test func netPolicyIsHostUnlessNone() throws {
        #expect(try parse(["./prog"]).network == .host)
        #expect(try parse(["--net", "none", "./prog"]).network == .none)
        #expect(try parse(["--net=host", "./prog"]).network == .host)
        #expect(usageError(["--net", "some", "./prog"])?.contains("--net") == true)
    }

    @Test func allowAndListenListsAccumulate() throws {
        let network = try parse(["--net-allow", "127.0.0.1:8080", "--net-allow=[::1]:53", "--net-allow", "10.0.0.1",
                                 "--net-listen", "8080", "--net-listen=9000", "./prog"]).network
        #expect(network.mode == .host)
        #expect(network.destinations.map(\.description) == ["127.0.0.1:8080", "[::1]:53", "10.0.0.1"])
        #expect(network.listenPorts == [8080, 9000])
        #expect(network.allowTexts == ["127.0.0.1:8080", "[::1]:53", "10.0.0.1"])
        // Passed on to the runner that continues the guest after an execve, with the namespace.
        var continued = network
        continued.abstractNamespace = "ukabc/"
        let options = continued.commandLineOptions
        #expect(try parse(options + ["./prog"]).network == continued)
        #expect(usageError(["--net-allow", "127.0.0.1:http", "./prog"])?.contains("--net-allow") == true)
        #expect(usageError(["--net-allow", "[::1]x", "./prog"])?.contains("--net-allow") == true)
        #expect(usageError(["--net-listen", "70000", "./prog"])?.contains("--net-listen") == true)
    }
}
