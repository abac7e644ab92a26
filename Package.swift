// swift-tools-version: 6.0
// Host-side products of the unikernel project. The guest kernel itself
// (Sources/Unikernel) is Embedded Swift for x86_64-unknown-none-elf and is
// built by the Makefile, not by SwiftPM.
import PackageDescription

/// `make` sets UNIKERNEL_STATIC_RUNNER=1 for its release builds: the runner is then a fully
/// static executable, so no dynamic loader runs at each start (about 1.4 ms per guest run).
/// Sanitizer builds leave it unset: AddressSanitizer needs dynamic linking.
let staticRunner = Context.environment["UNIKERNEL_STATIC_RUNNER"] == "1"

let package = Package(
    name: "SwiftUnikernel",
    products: [
        .library(name: "Hypervisor", targets: ["Hypervisor"]),
        .executable(name: "hypervisor", targets: ["HypervisorCLI"]),
        .executable(name: "conformance", targets: ["ConformanceCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // The boot-info and hypercall layouts, shared with the kernel (one C header).
        .target(name: "UnikernelABI", path: "Sources/Hypervisor/ABI"),
        // The few Linux calls Swift cannot make directly: KVM ioctls, openat2, signal handlers.
        .target(name: "CLinux", path: "Sources/Hypervisor/CLinux"),
        .target(
            name: "Hypervisor",
            dependencies: [
                "UnikernelABI", "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/Hypervisor/Core"
        ),
        .executableTarget(
            name: "HypervisorCLI",
            // No ArgumentParser here: the runner parses its own command line
            // (RunnerCommandLine) to keep its start-up short.
            dependencies: ["Hypervisor"],
            path: "Sources/Hypervisor/CLI",
            linkerSettings: staticRunner ? [.unsafeFlags(["-static-executable"])] : []
        ),
        .target(
            name: "Conformance",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/conformance/Core"
        ),
        .executableTarget(
            name: "ConformanceCLI",
            dependencies: [
                "Conformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/conformance/CLI"
        ),
        // Kernel logic with no kernel dependencies (futex wait lists, WAKE_OP arithmetic, signal
        // selection, the scheduler's tick policy, clone-flag checks), compiled from the kernel's
        // own sources for unit tests on the host; the kernel build uses the same files.
        .target(
            name: "KernelLogic",
            path: "Sources/Unikernel",
            sources: [
                "Scheduler/FutexWaitList.swift", "Scheduler/TickPolicy.swift", "Scheduler/TimerArithmetic.swift", "Process/SignalSelection.swift",
                "Syscalls/CloneFlags.swift", "Syscalls/Errno.swift", "Syscalls/ScriptInterpreter.swift",
                "ProcFS/Text.swift", "Arch/SyscallSiteDecoder.swift",
            ]
        ),
        .testTarget(
            name: "KernelLogicTests",
            dependencies: ["KernelLogic"],
            path: "Tests/KernelLogicTests"
        ),
        .testTarget(
            name: "HypervisorTests",
            dependencies: ["Hypervisor", "UnikernelABI"],
            path: "Tests/HypervisorTests"
        ),
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["Conformance"],
            path: "Tests/ConformanceTests"
        ),
    ]
)
