import Foundation

extension BenchHarness {
    /// Bytes the memory row allocates and touches.
    static let touchMiB = 1024

    /// First touch of a large allocation (Fixtures/bench/touch.c): the page faults that
    /// populate memory, per 4 KiB page, native against the guest with and without 2 MiB pages.
    func measureMemory(into results: inout BenchResults) throws {
        progress("memory: malloc and first touch of \(Self.touchMiB) MiB, \(configuration.repeats) × native and guest (and guest --no-huge-pages)")
        let arguments = ["\(Self.touchMiB)"]
        for libc in ["musl", "glibc"] {
            var row = BenchRow(section: "Memory", figure: "first touch of \(Self.touchMiB) MiB (malloc, one write per 4 KiB page), per page (\(libc))",
                               unit: .nanoseconds)
            guard let path = binary("touch-\(libc)").path else {
                row.note = "not run: \(binary("touch-\(libc)").failure)"
                results.rows.append(row)
                continue
            }
            let directory = try freshDirectory("touch")
            var native = Sample(), guest = Sample(), small = Sample(), nativeWhole = Sample(), guestWhole = Sample()
            var trapped = TrapShare()
            for _ in 0..<configuration.repeats {
                let nativeRun = try run([path] + arguments, in: directory)
                native.add(nativeRun) { $0.values["ns_per_page"] }
                nativeWhole.add(nativeRun) { $0.seconds }
                let guestRun = try run(guestCommand(path, arguments, directory: directory), in: directory, timings: true)
                guest.add(guestRun) { $0.values["ns_per_page"] }
                trapped.add(guestRun)
                guestWhole.add(guestRun) { $0.seconds }
                let smallRun = try run(guestCommand(path, arguments, directory: directory, options: ["--no-huge-pages"]), in: directory)
                small.add(smallRun) { $0.values["ns_per_page"] }
            }
            row.unikernel = guest.summary
            row.native = native.summary
            row.compare(to: native.summary, named: "native", atMost: 1.0, target: "≤ 1.00× native per page")
            if let g = guestWhole.summary?.median, let n = nativeWhole.summary?.median {
                row.addNote(String(format: "whole process: guest %.3f s, native %.3f s (%.3f×)", g, n, g / n))
            }
            if let s = small.summary?.median, let n = native.summary?.median {
                row.addNote(String(format: "guest with --no-huge-pages: %.0f ns per page (%.2f× native)", s, s / n))
            }
            trapped.note(in: &row)
            if let failure = guest.failure { row.addNote("guest failed: \(failure)") }
            if let failure = small.failure { row.addNote("guest --no-huge-pages failed: \(failure)") }
            if let failure = native.failure { row.addNote("native failed: \(failure)") }
            results.rows.append(row)
        }
    }
}
