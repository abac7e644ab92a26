import Foundation
import XCTest
@testable import Conformance

/// The benchmark's suite-per-fixture row and its concurrent starts.
final class BenchRowTests: XCTestCase {
    func testSuiteRowComparesEachFixturesGuestRunWithItsNativeRun() throws {
        let report = Report(mode: .guest, results: [
            FixtureResult(libc: .musl, name: "a", verdict: .pass, nativeSeconds: 0.001, guestSeconds: 0.010),
            FixtureResult(libc: .musl, name: "b", verdict: .pass, nativeSeconds: 0.003, guestSeconds: 0.020),
            FixtureResult(libc: .glibc, name: "c", verdict: .pass, nativeSeconds: 0.002, guestSeconds: 0.030),
            // Not run in the guest (native failure): left out of both figures.
            FixtureResult(libc: .glibc, name: "d", verdict: .nativeFailure("broken"), nativeSeconds: 0.5),
        ])
        let row = BenchHarness.suiteFixtureRow(report, jobs: 2)
        XCTAssertEqual(row.unikernel?.count, 3)
        XCTAssertEqual(try XCTUnwrap(row.unikernel?.median), 0.020, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(row.native?.median), 0.002, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(row.ratio), 10, accuracy: 1e-9)
        XCTAssertEqual(row.ratioBase, "native")
        XCTAssertTrue(row.note.contains("3 fixtures run both ways: mean 20.0 ms guest vs 2.0 ms native (10×)"), row.note)
    }

    func testConcurrentRunsAreReapedEachWithItsOwnTimes() throws {
        let scratch = try TemporaryDirectory(prefix: "bench-concurrent").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let commands = (0..<4).map { ["/bin/sh", "-c", "echo run \($0); exit \($0)"] }
        let (runs, batch) = try BenchProcess.runConcurrently(commands, environment: ["PATH=/usr/bin:/bin"], directory: scratch,
                                                             scratch: scratch)
        XCTAssertEqual(runs.map(\.status), [0, 1, 2, 3])
        XCTAssertEqual(runs.map(\.stdout), ["run 0\n", "run 1\n", "run 2\n", "run 3\n"])
        let first = try XCTUnwrap(runs.map(\.spawnNanoseconds).min()), last = try XCTUnwrap(runs.map(\.reapedNanoseconds).max())
        XCTAssertEqual(batch, last - first)
        for run in runs { XCTAssertLessThanOrEqual(run.reapedNanoseconds - run.spawnNanoseconds, batch) }
    }
}
