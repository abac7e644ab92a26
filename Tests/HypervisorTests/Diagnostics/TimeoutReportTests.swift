import Glibc
import Testing

@testable import Hypervisor

/// A timeout's message says what the guest was doing: the call in progress and the children
/// not reaped, each with its host state.
@Suite("Timeout report")
struct TimeoutReportTests {
    @Test func nothingToSayAddsNothing() {
        #expect(TimeoutReport.detail(callInProgress: nil, children: []) == "")
        #expect(RunOutcome.timedOut(seconds: 10).message == "hypervisor: guest stopped after the 10.0-second timeout")
    }

    @Test func namesTheCallAndEachChildInPidOrder() {
        // This process stands in for a live child (its main thread runs or sleeps as the tests go).
        let live = TimeoutReport.hostState(of: getpid())
        #expect(live == "running" || live == "sleeping")
        let detail = TimeoutReport.detail(callInProgress: "wait4(-1, 0x7ffc, 0, NULL)", children: [0x7FFF_FFF0, Int32(getpid())])
        #expect(detail.hasPrefix(" (the kernel was serving wait4(-1, 0x7ffc, 0, NULL); children not reaped: \(getpid()) "))
        #expect(detail.hasSuffix(", 2147483632 gone)"))
        #expect(RunOutcome.timedOut(seconds: 2, detail: detail).message!.hasSuffix(detail))
    }

    @Test func readsTheStateAfterTheCommandsLastParenthesis() {
        #expect(TimeoutReport.state(inStatLine: "42 (a) b) S 1 42 42") == "sleeping")
        #expect(TimeoutReport.state(inStatLine: "42 (sh) Z 1") == "a zombie")
        #expect(TimeoutReport.state(inStatLine: "42 (sh) t 1") == "stopped")
        #expect(TimeoutReport.state(inStatLine: "garbage") == "unknown")
    }
}
