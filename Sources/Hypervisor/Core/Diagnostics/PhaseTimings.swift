import CLinux
import Glibc

/// Opt-in start-up and run timings for `conformance bench`, enabled by the environment
/// variable `UNIKERNEL_TIMINGS=1` (off otherwise: every call is one branch).
///
/// `mark(_:)` records a named CLOCK_MONOTONIC timestamp (absolute, so the harness can put
/// them next to its own spawn and wait times, which use the same clock); `vmExit(_:)`
/// counts the exits `KVM_RUN` returns to this process and stamps the first exit and the
/// first hypercall. `Machine.timingsReport()` adds the vCPU's in-kernel KVM statistics
/// (`KVM_GET_STATS_FD`: exits handled inside KVM, emulated instructions, page faults) and
/// the guest memory actually resident (mincore over the guest mapping), as one line:
/// `unikernel-timings: {json}` on stderr.
public final class PhaseTimer: @unchecked Sendable {
    /// The process-wide timer; the hypervisor runs one machine per process.
    public static let shared = PhaseTimer(enabled: PhaseTimer.environmentEnables())

    public let enabled: Bool
    private(set) var marks: [(name: String, nanoseconds: UInt64)] = []
    private(set) var exits = 0
    private(set) var hypercalls = 0
    /// Syscall sites the kernel had rewritten into jumps when the program exited.
    private(set) var patchedSyscallSites: UInt32?
    /// Syscalls that entered the kernel by trapping (`syscall`) and through rewritten sites.
    private(set) var syscallEntries: (trapped: UInt64, viaStub: UInt64)?

    init(enabled: Bool) {
        self.enabled = enabled
        if enabled { marks.reserveCapacity(16) }
    }

    static func environmentEnables() -> Bool {
        guard let value = getenv("UNIKERNEL_TIMINGS") else { return false }
        return String(cString: value) == "1"
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Records that the phase ending here is called `name`.
    public func mark(_ name: String) {
        guard enabled else { return }
        marks.append((name, PhaseTimer.now()))
    }

    /// Counts one exit `KVM_RUN` returned; stamps the first exit and the first hypercall.
    func vmExit(_ exit: VMExit) {
        guard enabled else { return }
        exits += 1
        if exits == 1 { mark("first-exit") }
        let isHypercall: Bool
        switch exit {
        case let .mmio(address, true, _, _): isHypercall = Hypercall.isHypercallAddress(address)
        default: isHypercall = false
        }
        if isHypercall {
            hypercalls += 1
            if hypercalls == 1 { mark("first-hypercall") }
        }
    }

    /// Records what the kernel's exit hypercall reports.
    func noteExit(patchedSyscallSites sites: UInt32, trappedSyscalls: UInt64, stubSyscalls: UInt64) {
        guard enabled else { return }
        patchedSyscallSites = sites
        syscallEntries = (trappedSyscalls, stubSyscalls)
    }

    /// The report line (without the trailing newline).
    func render(extra: [(String, String)]) -> String {
        let marksJSON = marks.map { "[\"\($0.name)\",\($0.nanoseconds)]" }.joined(separator: ",")
        var fields = ["\"marks\":[\(marksJSON)]", "\"exits\":\(exits)", "\"hypercalls\":\(hypercalls)"]
        if let patchedSyscallSites { fields.append("\"patched_syscall_sites\":\(patchedSyscallSites)") }
        if let syscallEntries {
            fields.append("\"trapped_syscalls\":\(syscallEntries.trapped)")
            fields.append("\"stub_syscalls\":\(syscallEntries.viaStub)")
        }
        fields += extra.map { "\"\($0.0)\":\($0.1)" }
        return "unikernel-timings: {" + fields.joined(separator: ",") + "}"
    }
}

extension Machine {
    /// The `unikernel-timings:` line for this machine (marks, exits, KVM vCPU statistics,
    /// resident guest memory); nil when timings are off.
    public func timingsReport() -> String? {
        let timer = PhaseTimer.shared
        guard timer.enabled else { return nil }
        var extra: [(String, String)] = [("guest_memory_bytes", "\(memory.size)")]
        if let resident = residentGuestBytes() { extra.append(("guest_resident_bytes", "\(resident)")) }
        if let peak = Machine.processPeakResidentBytes() { extra.append(("process_peak_rss_bytes", "\(peak)")) }
        let stats = vcpuStatistics(["exits", "io_exits", "mmio_exits", "insn_emulation", "pf_taken", "pf_guest", "halt_exits", "signal_exits"])
        extra.append(("kvm_vcpu_stats", "{" + stats.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"))
        return timer.render(extra: extra)
    }

    /// This process's peak resident set (VmHWM in /proc/self/status). Unlike the
    /// ru_maxrss a parent reads, it never includes the spawning process's memory
    /// (Linux folds the pre-exec address space of a vfork-style spawn into ru_maxrss).
    static func processPeakResidentBytes() -> UInt64? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmHWM:") else { continue }
            let digits = text.dropFirst(6).filter { $0.isNumber }
            return UInt64(String(digits)).map { $0 * 1024 }
        }
        return nil
    }

    /// Bytes of the guest memory mapping resident in host RAM for this process: the pages
    /// present in its page tables (/proc/self/pagemap bit 63), whether the host or the guest
    /// touched them. (mincore would also count an image's file pages that sit in the page
    /// cache but were never touched here.)
    func residentGuestBytes() -> UInt64? {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = (Int(memory.size) + pageSize - 1) / pageSize
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var entries = [UInt64](repeating: 0, count: pages)
        let wanted = pages * 8
        let read = entries.withUnsafeMutableBytes {
            pread(fd, $0.baseAddress, wanted, off_t(Int(bitPattern: memory.hostBase) / pageSize * 8))
        }
        guard read == wanted else { return nil }
        return UInt64(entries.reduce(0) { $0 + Int($1 >> 63) }) * UInt64(pageSize)
    }

    /// Named counters from the vCPU's binary statistics file (KVM_GET_STATS_FD, Linux 5.14+;
    /// see Documentation/virt/kvm/api.rst 4.133); empty if KVM does not offer it.
    func vcpuStatistics(_ names: [String]) -> [(String, UInt64)] {
        let getStatsFD: UInt = 0xAECE // _IO(KVMIO, 0xce)
        let fd = ckvm_ioctl_value(vcpu.fd.rawValue, getStatsFD, 0)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        // struct kvm_stats_header: flags, name_size, num_desc, id_offset, desc_offset, data_offset (u32 each).
        var header = [UInt32](repeating: 0, count: 6)
        guard header.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 24, 0) }) == 24 else { return [] }
        let nameSize = Int(header[1]), count = Int(header[2]), descOffset = Int(header[4]), dataOffset = Int(header[5])
        // struct kvm_stats_desc: flags u32, exponent s16, size u16, offset u32, bucket_size u32, name[name_size].
        let descSize = 16 + nameSize
        var descriptors = [UInt8](repeating: 0, count: descSize * count)
        guard descriptors.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, $0.count, off_t(descOffset)) }) == descSize * count else { return [] }
        var found: [String: UInt64] = [:]
        for index in 0..<count {
            let base = index * descSize
            let nameBytes = descriptors[(base + 16)..<(base + descSize)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard names.contains(name) else { continue }
            let offset = descriptors[(base + 8)..<(base + 12)].reversed().reduce(0) { $0 << 8 | Int($1) }
            var value: UInt64 = 0
            guard pread(fd, &value, 8, off_t(dataOffset + offset)) == 8 else { continue }
            found[name] = value
        }
        return names.compactMap { name in found[name].map { (name, $0) } }
    }
}
