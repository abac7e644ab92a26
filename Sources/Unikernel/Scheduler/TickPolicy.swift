/// When a vCPU's scheduler tick must fire, free of kernel state so that it is unit-tested on
/// the host (Tests/KernelLogicTests): at the end of the running task's slice when another task
/// waits to run, or at the earliest deadline of a sleeping task, whichever comes first.
enum TickPolicy {
    /// The moment to arm the tick for, or nil when none is needed or the one already armed
    /// (`armed`, not yet passed) fires early enough.
    static func deadline(now: UInt64, othersWaiting: Bool, slice: UInt64, sleeperDeadlines: [UInt64],
                         armed: UInt64?) -> UInt64? {
        var wanted: UInt64? = othersWaiting ? now &+ slice : nil
        for deadline in sleeperDeadlines where wanted.map({ deadline < $0 }) ?? true { wanted = deadline }
        guard let wanted else { return nil }
        if let armed, armed > now, armed <= wanted { return nil }
        return wanted
    }
}
