import CLinux
import Glibc

/// The KVM implementation behind `/dev/kvm` and the one place every
/// difference between implementations is decided (README "Platforms"):
/// - **kvm-pvm**: guest CPL0 code is emulated one instruction at a time and
///   cannot run SSE, and `syscall` from CPL3 stays at CPL3, so the kernel runs
///   at CPL3 beside the application, on user pages;
/// - **AMD SVM / Intel VMX** (hardware KVM): `syscall` enters CPL0, so the
///   kernel runs at CPL0 with supervisor-only pages and the application at CPL3.
/// Found once at start-up from the loaded KVM modules and the host's CPUID.
public struct Platform: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case pvm = "kvm-pvm"
        case amdSVM = "AMD SVM"
        case intelVMX = "Intel VMX"
    }

    public var kind: Kind
    /// The host is itself a virtual machine (CPUID.1:ECX bit 31): KVM runs nested.
    public var nested: Bool
    /// The host's hypervisor signature (CPUID 0x40000000), e.g. "TCGTCGTCGTCG" under QEMU's emulator.
    public var hypervisorSignature: String?

    public init(kind: Kind, nested: Bool, hypervisorSignature: String?) {
        self.kind = kind
        self.nested = nested
        self.hypervisorSignature = hypervisorSignature
    }

    /// The host's CPU is emulated by software (QEMU TCG), not virtualised by hardware.
    public var emulated: Bool { hypervisorSignature == "TCGTCGTCGTCG" }

    /// Whether the kernel runs at CPL0 (and its pages are supervisor-only) with
    /// the application at CPL3; false where both share CPL3 (kvm-pvm).
    public var kernelPrivileged: Bool { kind != .pvm }

    /// One line for `--version` and report headers, e.g.
    /// "AMD SVM (nested, emulated by QEMU TCG)" or "kvm-pvm (nested)".
    public var description: String {
        var notes: [String] = []
        if nested { notes.append("nested") }
        if emulated { notes.append("emulated by QEMU TCG") }
        return notes.isEmpty ? kind.rawValue : "\(kind.rawValue) (\(notes.joined(separator: ", ")))"
    }

    /// The platform of this host: kvm-pvm when its module is loaded, else the
    /// hardware extension of the CPU vendor's KVM module (kvm_amd, kvm_intel),
    /// else the CPU vendor itself.
    public static func detect(moduleDirectory: String = "/sys/module") -> Platform {
        func loaded(_ module: String) -> Bool { access("\(moduleDirectory)/\(module)", F_OK) == 0 }
        let kind: Kind
        if loaded("kvm_pvm") {
            kind = .pvm
        } else if loaded("kvm_amd") {
            kind = .amdSVM
        } else if loaded("kvm_intel") {
            kind = .intelVMX
        } else {
            kind = HostCPU.vendor == "AuthenticAMD" || HostCPU.vendor == "HygonGenuine" ? .amdSVM : .intelVMX
        }
        let nested = HostCPU.cpuid(1).ecx & (1 << 31) != 0
        return Platform(kind: kind, nested: nested, hypervisorSignature: nested ? HostCPU.hypervisorSignature : nil)
    }
}

/// The host CPU as the hypervisor process sees it: what Linux gives every
/// process on this host, which is what the guest's application must see too.
public enum HostCPU {
    public struct Leaf: Equatable, Sendable {
        public var eax, ebx, ecx, edx: UInt32
    }

    public static func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> Leaf {
        var out: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        // SAFETY: ckvm_host_cpuid writes exactly four UInt32 through the pointer, the size of `out`.
        withUnsafeMutablePointer(to: &out) { tuple in
            tuple.withMemoryRebound(to: UInt32.self, capacity: 4) { ckvm_host_cpuid(leaf, subleaf, $0) }
        }
        return Leaf(eax: out.0, ebx: out.1, ecx: out.2, edx: out.3)
    }

    /// XCR0 as Linux set it for processes on this host; nil without XSAVE.
    public static var xcr0: UInt64? {
        let value = ckvm_host_xcr0()
        return value == 0 ? nil : value
    }

    /// AT_HWCAP as Linux gave it to this process (its view of CPUID.1:EDX).
    public static var hwcap: UInt64 { ckvm_host_hwcap() }

    /// Whether the host kernel lets its processes use rdfsbase/wrfsbase (AT_HWCAP2 bit 1,
    /// HWCAP2_FSGSBASE): on kvm-pvm the kernel's CPL3 code runs with the host's CR4.
    public static var userFSGSBase: Bool { ckvm_host_auxv(26) & 0x2 != 0 }  // AT_HWCAP2

    /// "AuthenticAMD", "GenuineIntel", ...
    public static var vendor: String { text(cpuid(0)) { [$0.ebx, $0.edx, $0.ecx] } }

    /// The hypervisor's 12-byte signature (CPUID 0x40000000: ebx, ecx, edx).
    public static var hypervisorSignature: String? {
        let signature = text(cpuid(0x4000_0000)) { [$0.ebx, $0.ecx, $0.edx] }
        return signature.isEmpty ? nil : signature
    }

    private static func text(_ leaf: Leaf, _ registers: (Leaf) -> [UInt32]) -> String {
        let bytes = registers(leaf).flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        return String(decoding: bytes.prefix { $0 != 0 }.filter { (0x20..<0x7F).contains($0) }, as: UTF8.self)
    }
}
