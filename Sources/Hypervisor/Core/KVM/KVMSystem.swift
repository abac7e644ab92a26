import CLinux
import Glibc
import SystemPackage

/// The `/dev/kvm` handle: capability queries and VM creation.
public final class KVMSystem {
    /// The default KVM device node.
    public static let devicePath = "/dev/kvm"

    let fd: FileDescriptor

    /// Opens the KVM device and checks the API version.
    public init(path: String = KVMSystem.devicePath) throws(KVMError) {
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite, options: [.closeOnExec])
        } catch {
            throw .deviceUnavailable(path: path, errno: (error as? Errno) ?? .noSuchFileOrDirectory)
        }
        let version = try KVMSystem.ioctl(fd, CLinux.CKVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION")
        guard version == CLinux.CKVM_API_VERSION else {
            throw .unsupportedAPIVersion(found: version, expected: CLinux.CKVM_API_VERSION)
        }
    }

    deinit { try? fd.close() }

    /// Whether this host can run guests at all: the device exists and opens.
    public static var isAvailable: Bool {
        access(devicePath, R_OK | W_OK) == 0
    }

    /// The size of the per-vCPU `kvm_run` mapping.
    public func vcpuMappingSize() throws(KVMError) -> Int {
        Int(try KVMSystem.ioctl(fd, CLinux.CKVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE"))
    }

    /// Every CPUID leaf KVM can present to a guest on this host.
    public func supportedCPUID() throws(KVMError) -> CPUIDTable {
        let buffer = CPUIDTable.RawBuffer(capacity: Int(CLinux.CKVM_MAX_CPUID_ENTRIES))
        // SAFETY: the buffer holds a kvm_cpuid2 header followed by `capacity` entries, as nent says.
        let result = ckvm_ioctl_ptr(fd.rawValue, CLinux.CKVM_GET_SUPPORTED_CPUID, buffer.pointer)
        guard result >= 0 else { throw .ioctlFailed(call: "KVM_GET_SUPPORTED_CPUID", errno: .current) }
        return CPUIDTable(entries: buffer.entries)
    }

    /// Creates an empty virtual machine.
    public func createVirtualMachine() throws(KVMError) -> VirtualMachine {
        let vmFD = try KVMSystem.ioctl(fd, CLinux.CKVM_CREATE_VM, 0, "KVM_CREATE_VM")
        return VirtualMachine(fd: FileDescriptor(rawValue: vmFD), system: self)
    }

    /// An ioctl with an integer argument; the result on success, a typed error otherwise.
    static func ioctl(
        _ fd: FileDescriptor, _ request: UInt, _ argument: UInt, _ name: String
    ) throws(KVMError) -> Int32 {
        let result = ckvm_ioctl_value(fd.rawValue, request, argument)
        guard result >= 0 else { throw .ioctlFailed(call: name, errno: .current) }
        return result
    }

    /// An ioctl whose argument is a structure passed by pointer.
    static func ioctl<T>(
        _ fd: FileDescriptor, _ request: UInt, _ value: inout T, _ name: String
    ) throws(KVMError) {
        let result = withUnsafeMutablePointer(to: &value) { ckvm_ioctl_ptr(fd.rawValue, request, $0) }
        guard result >= 0 else { throw .ioctlFailed(call: name, errno: .current) }
    }
}

extension Errno {
    /// The calling thread's current `errno` as a typed value.
    static var current: Errno { Errno(rawValue: Glibc.errno) }
}
