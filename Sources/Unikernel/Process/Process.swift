import UnikernelABI

/// The single application the kernel runs: its address space, open files,
/// current directory and identity, plus the boot information it came from.
struct Process {
    var addressSpace = AddressSpace()
    var files = FileTable()
    var workingDirectory: [UInt8] = [UInt8(ascii: "/")]
    var bootInfo = uk_boot_info()
    var features = CPUSetup.Features()
    var random = RandomGenerator(seed: 0, 0)
    /// Signal dispositions, mask, pending signals and the alternate stack.
    var signals = SignalState()
    /// The file-mode creation mask (umask), applied by the kernel: the host applies none.
    var umask: UInt64 = 0o022
    /// The task name (prctl PR_GET_NAME): the program's file name, at most 15 bytes.
    var taskName: [UInt8] = []
    /// What /proc/self/exe names: the program's absolute host path.
    var executableName: [UInt8] = []

    init() {}

    var pid: Int { Int(bootInfo.pid == 0 ? 1 : bootInfo.pid) }
    var tracing: Bool { bootInfo.flags & UK_BOOT_TRACE_SYSCALLS != 0 }
}

/// The running application.
var currentProcess = Process()
