import Glibc
import Hypervisor

/// Whether tests that need /dev/kvm run. Without KVM they are skipped with a
/// message saying so, unless UNIKERNEL_REQUIRE_KVM=1 (set by CI), in which case
/// they run and fail on the missing device.
enum KVMRequirement {
    static var isRequired: Bool { getenv("UNIKERNEL_REQUIRE_KVM").map { String(cString: $0) == "1" } ?? false }
    static var shouldRun: Bool { KVMSystem.isAvailable || isRequired }
    static let skipMessage = "/dev/kvm is not available on this machine: KVM tests skipped (set UNIKERNEL_REQUIRE_KVM=1 to make this a failure)"
}
