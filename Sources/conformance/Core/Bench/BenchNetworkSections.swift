import Foundation

extension BenchHarness {
    /// Bytes the loopback stream moves per run (1 GiB).
    static let streamBytes = 1 << 30
    /// The write/read sizes of the stream rows: sizes a streaming program uses.
    static let streamChunks: [(bytes: Int, label: String)] = [(256 << 10, "256 KiB"), (1 << 20, "1 MiB")]
    static let pingPongRounds = 100_000

    // MARK: Network

    /// Loopback TCP between a program and its forked child (a guest fork is a second guest
    /// process, each on its own VM, so the two ends run at once as natively): stream throughput
    /// and one-byte request/response latency. The guest's sockets are host sockets.
    func measureNetwork(into results: inout BenchResults) throws {
        try measureStream(into: &results)
        try measurePingPong(into: &results)
    }

    func measureStream(into results: inout BenchResults) throws {
        let id = "net_stream-musl"
        guard let path = binary(id).path else {
            var row = BenchRow(section: "Network", figure: "loopback TCP stream of 1 GiB", unit: .mebibytesPerSecond)
            row.note = "not run: \(binary(id).failure)"
            results.rows.append(row)
            return
        }
        for chunk in Self.streamChunks {
            let arguments = ["\(Self.streamBytes)", "\(chunk.bytes)"]
            progress("network: 1 GiB over loopback TCP in \(chunk.label) writes/reads, \(configuration.repeats) × native and guest")
            let directory = try freshDirectory(id)
            var native = Sample(), guest = Sample(), nativeRead = Sample(), guestRead = Sample()
            var guestExits = Sample(), trapped = TrapShare()
            for _ in 0..<configuration.repeats {
                let nativeRun = try run([path] + arguments, in: directory)
                native.add(nativeRun) { $0.values["mib_per_s"] }
                nativeRead.add(nativeRun) { $0.values["bytes_per_read"] }
                let guestRun = try run(guestCommand(path, arguments, directory: directory), in: directory, timings: true)
                guest.add(guestRun) { $0.values["mib_per_s"] }
                guestRead.add(guestRun) { $0.values["bytes_per_read"] }
                guestExits.add(guestRun) { run in (run.hypervisorTimings?["exits"] as? NSNumber)?.doubleValue }
                trapped.add(guestRun)
            }
            var row = BenchRow(section: "Network",
                               figure: "loopback TCP stream of 1 GiB, write/read in \(chunk.label) chunks, forked writer (musl)",
                               unit: .mebibytesPerSecond)
            row.unikernel = guest.summary
            row.native = native.summary
            row.compare(to: native.summary, named: "native", atLeast: 0.8, target: "≥ 0.8× native")
            if let g = guestRead.summary?.median, let n = nativeRead.summary?.median {
                row.addNote(String(format: "mean bytes per read: guest %.0f, native %.0f", g, n))
            }
            if let exits = guestExits.summary?.median {
                row.addNote(String(format: "exits to the hypervisor per guest run (reading process): %.0f", exits))
            }
            trapped.note(in: &row)
            row.noteFailures(guest: guest.failure, native: native.failure)
            results.rows.append(row)
        }
    }

    func measurePingPong(into results: inout BenchResults) throws {
        let id = "net_pingpong-musl"
        // Seconds per round trip, which the report shows in µs.
        var row = BenchRow(section: "Network",
                           figure: "loopback TCP request/response, 1 byte each way (send/recv, TCP_NODELAY), forked peer, per round trip (musl)",
                           unit: .seconds)
        guard let path = binary(id).path else {
            row.note = "not run: \(binary(id).failure)"
            results.rows.append(row)
            return
        }
        let arguments = ["\(Self.pingPongRounds)"]
        progress("network: \(Self.pingPongRounds) one-byte round trips over loopback TCP, \(configuration.repeats) × native and guest")
        let directory = try freshDirectory(id)
        var native = Sample(), guest = Sample(), exitsPerRound = Sample(), trapped = TrapShare()
        for _ in 0..<configuration.repeats {
            let nativeRun = try run([path] + arguments, in: directory)
            native.add(nativeRun) { $0.values["us_per_roundtrip"].map { $0 / 1e6 } }
            let guestRun = try run(guestCommand(path, arguments, directory: directory), in: directory, timings: true)
            guest.add(guestRun) { $0.values["us_per_roundtrip"].map { $0 / 1e6 } }
            trapped.add(guestRun)
            exitsPerRound.add(guestRun) { run in
                // The pinging process's exits over every round it made, warm-up (1000) included.
                (run.hypervisorTimings?["exits"] as? NSNumber).map { $0.doubleValue / Double(Self.pingPongRounds + 1000) }
            }
        }
        row.unikernel = guest.summary
        row.native = native.summary
        row.compare(to: native.summary, named: "native", atMost: 1.5, target: "≤ 1.5× native")
        if let exits = exitsPerRound.summary?.median {
            row.addNote(String(format: "exits to the hypervisor per round trip (pinging process): %.1f", exits))
        }
        trapped.note(in: &row)
        row.noteFailures(guest: guest.failure, native: native.failure)
        results.rows.append(row)
    }
}
