import SystemPackage

/// Failures of the KVM layer, each naming the call that failed and why.
public enum KVMError: Error, Equatable, CustomStringConvertible {
    /// `/dev/kvm` could not be opened.
    case deviceUnavailable(path: String, errno: Errno)
    /// The kernel speaks a KVM API other than the stable version 12.
    case unsupportedAPIVersion(found: Int32, expected: Int32)
    /// An ioctl returned an error.
    case ioctlFailed(call: String, errno: Errno)
    /// Mapping the vCPU's shared `kvm_run` area failed.
    case runMappingFailed(errno: Errno)

    public var description: String {
        switch self {
        case let .deviceUnavailable(path, errno):
            return "cannot open \(path): \(errno) (is KVM enabled and accessible to this user?)"
        case let .unsupportedAPIVersion(found, expected):
            return "KVM API version \(found) is not the expected \(expected)"
        case let .ioctlFailed(call, errno):
            return "KVM ioctl \(call) failed: \(errno)"
        case let .runMappingFailed(errno):
            return "cannot map the vCPU run area: \(errno)"
        }
    }
}
