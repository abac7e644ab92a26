import Glibc

/// Parses sizes like `64M`, `1G`, `65536`, `512MiB`.
public enum MemorySize {
    /// The size in bytes, or nil if `text` is not a size.
    public static func parse(_ text: String) -> UInt64? {
        var digits = text.uppercased()
        var multiplier: UInt64 = 1
        for (suffix, factor) in [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)] as [(String, UInt64)] {
            if digits.hasSuffix(suffix) {
                digits.removeLast(suffix.count)
                multiplier = factor
                break
            }
        }
        guard let value = UInt64(digits) else { return nil }
        let (size, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : size
    }
}

/// The guest memory limit when none is given: what the host lets a process use. That is the
/// host's RAM, lowered by the runner's own limits (RLIMIT_AS, RLIMIT_DATA) and by the memory
/// limit of its cgroup (v2 `memory.max`), rounded down to 2 MiB and kept within what the boot
/// page tables can map. Nothing is reserved or touched for it: guest RAM grows on demand
/// (GuestMemory), so the default costs neither start-up time nor resident memory.
public enum HostMemoryLimit {
    /// The default limit, computed from the host at each call.
    public static func forGuest() -> UInt64 {
        var limit = physicalMemory()
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var value = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &value) == 0, value.rlim_cur != rlim_t.max {
                limit = min(limit, UInt64(value.rlim_cur))
            }
        }
        if let group = cgroupLimit() { limit = min(limit, group) }
        return clamp(limit)
    }

    /// `bytes` rounded down to 2 MiB, within [GuestLayout.minimumMemorySize, BootPageTables.maximumMemorySize].
    static func clamp(_ bytes: UInt64) -> UInt64 {
        let rounded = bytes & ~(GuestMemory.growthGranule - 1)
        return min(max(rounded, GuestLayout.minimumMemorySize), BootPageTables.maximumMemorySize)
    }

    /// The host's RAM (its physical pages × the page size), or 64 MiB when it cannot be read.
    static func physicalMemory() -> UInt64 {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 64 << 20 }
        return UInt64(pages) &* UInt64(pageSize)
    }

    /// The cgroup v2 memory.max of this process's group, when it sets one.
    static func cgroupLimit() -> UInt64? {
        // "0::/path" names the group in the unified hierarchy.
        guard let membership = HostTextFile.read("/proc/self/cgroup"),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let path = String(line.dropFirst(3))
        guard let text = HostTextFile.read("/sys/fs/cgroup" + (path == "/" ? "" : path) + "/memory.max") else { return nil }
        return parseCgroupLimit(text)
    }

    /// A memory.max value: a byte count, or "max" (no limit: nil).
    static func parseCgroupLimit(_ text: String) -> UInt64? {
        UInt64(String(text.prefix { $0 != "\n" && $0 != " " }))
    }
}
