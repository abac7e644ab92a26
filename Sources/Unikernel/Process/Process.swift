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

    init() {}

    var pid: Int { Int(bootInfo.pid == 0 ? 1 : bootInfo.pid) }
    var tracing: Bool { bootInfo.flags & UK_BOOT_TRACE_SYSCALLS != 0 }
}

/// The running application.
var currentProcess = Process()
