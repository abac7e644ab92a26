import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One timed run of a program: wall time from just before `posix_spawn` to the return of
/// `wait4`, both on CLOCK_MONOTONIC (the clock the hypervisor's `UNIKERNEL_TIMINGS` marks use),
/// the child's peak RSS from `wait4`'s rusage, and what it wrote.
public struct TimedRun: Sendable {
    /// Exit code, or 128 + signal number when a signal ended it.
    public var status: Int32
    /// CLOCK_MONOTONIC nanoseconds just before `posix_spawn`.
    public var spawnNanoseconds: UInt64
    /// CLOCK_MONOTONIC nanoseconds when `wait4` returned.
    public var reapedNanoseconds: UInt64
    /// `ru_maxrss` of the child, in bytes.
    public var maxRSSBytes: UInt64
    public var stdout: String
    public var stderr: String

    public var seconds: Double { Double(reapedNanoseconds - spawnNanoseconds) / 1e9 }

    /// The `bench key=value` lines the benchmark programs print.
    public var values: [String: Double] {
        var result: [String: Double] = [:]
        for line in stdout.split(separator: "\n") where line.hasPrefix("bench ") {
            let pair = line.dropFirst(6).split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Double(pair[1]) { result[String(pair[0])] = value }
        }
        return result
    }

    /// The JSON object of the hypervisor's `unikernel-timings:` stderr line, if any.
    public var hypervisorTimings: [String: Any]? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("unikernel-timings: ") }) else { return nil }
        let json = line.dropFirst("unikernel-timings: ".count)
        return (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
    }

    /// A one-line description of a failed run: status and the first stderr line.
    public var failureSummary: String {
        let firstLine = stderr.split(separator: "\n").first(where: { !$0.hasPrefix("unikernel-timings:") }).map(String.init) ?? ""
        return "exit status \(status)" + (firstLine.isEmpty ? "" : ": " + String(firstLine.prefix(160)))
    }
}

/// Errors that stop the benchmark.
public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Starts programs for the benchmark: synchronous `posix_spawn` + blocking `wait4`, so the
/// measured interval has no polling in it. stdout and stderr go to files in a scratch folder.
public enum BenchProcess {
    public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Runs `arguments[0]` (an absolute path) with `arguments`, `environment` and working
    /// directory `directory`, capturing its output in `scratch`.
    public static func run(_ arguments: [String], environment: [String], directory: String,
                           scratch: String) throws -> TimedRun {
        let launch = try Launch(environment: environment)
        let started = try launch.spawn(arguments, directory: directory, stdout: scratch + "/stdout", stderr: scratch + "/stderr")
        var waitStatus: Int32 = 0
        var usage = rusage()
        while wait4(started.pid, &waitStatus, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4: \(String(cString: strerror(errno)))") }
        }
        return started.finished(waitStatus, usage, at: monotonicNanoseconds())
    }

    /// Starts every command of `commands` at once (one `posix_spawn` after the other, none
    /// waited for in between), then reaps them as they end. Each run's times are its own spawn
    /// and reap; the batch is from the first spawn to the last reap. Output goes to files in
    /// `scratch` (one pair per command).
    public static func runConcurrently(_ commands: [[String]], environment: [String], directory: String,
                                       scratch: String) throws -> (runs: [TimedRun], batchNanoseconds: UInt64) {
        let launch = try Launch(environment: environment)
        var started: [Started] = []
        // Whatever happens, nothing started here is left running.
        defer { for run in started { kill(run.pid, SIGKILL); var status: Int32 = 0; _ = waitpid(run.pid, &status, WNOHANG) } }
        for (index, command) in commands.enumerated() {
            started.append(try launch.spawn(command, directory: directory, stdout: scratch + "/stdout-\(index)",
                                            stderr: scratch + "/stderr-\(index)"))
        }
        var runs = [TimedRun?](repeating: nil, count: started.count)
        var remaining = started.count
        var lastReap: UInt64 = 0
        while remaining > 0 {
            var waitStatus: Int32 = 0
            var usage = rusage()
            let pid = wait4(-1, &waitStatus, 0, &usage)
            let end = monotonicNanoseconds()
            if pid < 0 {
                guard errno == EINTR else { throw BenchError("wait4: \(String(cString: strerror(errno)))") }
                continue
            }
            guard let index = started.firstIndex(where: { $0.pid == pid }), runs[index] == nil else { continue }
            runs[index] = started[index].finished(waitStatus, usage, at: end)
            remaining -= 1
            lastReap = end
        }
        let first = started.first?.spawn ?? lastReap
        started = []
        return (runs.compactMap { $0 }, lastReap - first)
    }

    /// A started benchmark process: its pid, spawn time and capture files.
    struct Started {
        var pid: pid_t
        var spawn: UInt64
        var stdout: String
        var stderr: String

        /// The run, reaped at `end` with `waitStatus` and `usage`.
        func finished(_ waitStatus: Int32, _ usage: rusage, at end: UInt64) -> TimedRun {
            let signal = waitStatus & 0x7f
            return TimedRun(status: signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal, spawnNanoseconds: spawn,
                            reapedNanoseconds: end, maxRSSBytes: UInt64(max(0, usage.ru_maxrss)) * 1024,
                            stdout: readText(stdout), stderr: readText(stderr))
        }
    }

    /// What every spawn shares: stdin from /dev/null and the environment (both released by `deinit`).
    final class Launch {
        let stdinFD: Int32
        let envp: [UnsafeMutablePointer<CChar>?]
        let addChdir: SpawnExtensions.AddChdir

        init(environment: [String]) throws {
            guard let addChdir = SpawnExtensions.addChdir else { throw BenchError("posix_spawn_file_actions_addchdir_np is missing (glibc 2.29+)") }
            self.addChdir = addChdir
            stdinFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
            envp = environment.map { strdup($0) } + [nil]
            guard stdinFD >= 0 else { throw BenchError("cannot open /dev/null: \(String(cString: strerror(errno)))") }
        }

        deinit {
            if stdinFD >= 0 { close(stdinFD) }
            for pointer in envp { free(pointer) }
        }

        /// Starts `command` (an absolute path first) in `directory`, its output going to the files
        /// `stdout` and `stderr`.
        func spawn(_ command: [String], directory: String, stdout: String, stderr: String) throws -> Started {
            let stdoutFD = open(stdout, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let stderrFD = open(stderr, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { for fd in [stdoutFD, stderrFD] where fd >= 0 { close(fd) } }
            guard stdoutFD >= 0, stderrFD >= 0 else {
                throw BenchError("cannot create capture files \(stdout), \(stderr): \(String(cString: strerror(errno)))")
            }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
            posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
            posix_spawn_file_actions_adddup2(&actions, stderrFD, 2)
            _ = addChdir(&actions, directory)
            let argv = command.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            let spawn = monotonicNanoseconds()
            let result = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
            guard result == 0 else { throw BenchError("cannot start \(command[0]): \(String(cString: strerror(result)))") }
            return Started(pid: pid, spawn: spawn, stdout: stdout, stderr: stderr)
        }
    }

    static func readText(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.prefix(1 << 20), as: UTF8.self)
    }
}

/// Median and spread of a sample.
public struct Summary: Sendable, Codable {
    public var count: Int
    public var median: Double
    public var p10: Double
    public var p90: Double
    public var min: Double
    public var max: Double

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
            return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
        }
        count = sorted.count
        median = quantile(0.5)
        p10 = quantile(0.1)
        p90 = quantile(0.9)
        min = sorted.first!
        max = sorted.last!
    }
}
