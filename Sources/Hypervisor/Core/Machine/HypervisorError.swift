import SystemPackage

/// Every reason the hypervisor cannot start or continue a run, by stage.
public enum HypervisorError: Error, CustomStringConvertible {
    case kvm(KVMError)
    case memory(GuestMemoryError)
    case program(ELFLoadError)
    case kernel(ELFLoadError)
    case layout(LayoutError)
    case sandbox(SandboxError)
    /// The program file could not be read.
    case programUnreadable(path: String, errno: Errno)
    /// The program path names a directory.
    case programIsDirectory(path: String)
    /// The kernel image file could not be read.
    case kernelUnreadable(path: String, errno: Errno)
    /// The vCPU stopped in a way the hypervisor cannot continue from.
    case vmFailure(String)

    public var description: String {
        switch self {
        case let .kvm(error): return error.description
        case let .memory(error): return error.description
        case let .program(error): return error.description
        case let .kernel(error): return "kernel image: \(error.description)"
        case let .layout(error): return error.description
        case let .sandbox(error): return error.description
        case let .programUnreadable(path, errno): return "\(path): cannot read the program: \(errno)"
        case let .programIsDirectory(path): return "\(path): is a directory, not a program"
        case let .kernelUnreadable(path, errno): return "\(path): cannot read the kernel image: \(errno)"
        case let .vmFailure(message): return message
        }
    }

    /// The runner's exit status for this error, following the shell's conventions:
    /// 127 the program does not exist, 126 it cannot be executed, 125 the
    /// hypervisor itself failed.
    public var exitStatus: Int32 {
        switch self {
        case let .programUnreadable(_, errno) where errno == .noSuchFileOrDirectory: return 127
        case .programUnreadable, .programIsDirectory, .program: return 126
        default: return 125
        }
    }
}
