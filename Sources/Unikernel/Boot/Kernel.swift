import UnikernelABI

/// The kernel's start-up sequence, from the boot-info handshake to the jump
/// into the application. The host has already put the CPU in its final state
/// (UK_BOOT_CPU_PREPARED), so start-up only builds the application's address
/// space and initial stack.
enum Kernel {
    static let initialStackEagerBytes: UInt64 = 128 * 1024

    static func start(_ bootInfo: UnsafePointer<uk_boot_info>) -> Never {
        // SAFETY: the hypervisor passes the direct-map address of the boot-info page.
        let info = bootInfo.pointee
        guard info.magic == UK_BOOT_MAGIC else { kernelPanic("boot info: bad magic") }
        guard info.version == UK_BOOT_VERSION else { kernelPanic("boot info: unsupported version") }
        guard info.flags & UK_BOOT_CPU_PREPARED != 0 else { kernelPanic("boot info: the CPU was not prepared") }
        guard info.free_phys_start < info.free_phys_end else { kernelPanic("boot info: no free memory") }
        Platform.configure(bootFlags: info.flags)
        PageMapper.configureSharedRoot(info.pml4_phys, cpuTables: info.cpu_tables_phys, cpuCount: max(Int(info.cpu_count), 1))
        CPULocal.cpuTablesPhysical = info.cpu_tables_phys
        Frames.allocator = FrameAllocator(start: info.free_phys_start, end: info.free_phys_end)
        Frames.limit = max(info.memory_size, info.free_phys_end)
        KernelHeap.root = info.pml4_phys
        currentProcess.bootInfo = info
        currentProcess.features = CPUSetup.detect(cr4: info.cr4)
        ExtendedState.configure()
        CPU.boot = CPU.ControlRegisters(cr0: info.cr0, cr3: info.pml4_phys, cr4: info.cr4)
        continueStart()
    }

    /// The application's address space and initial stack, then the jump into it.
    private static func continueStart() -> Never {
        if currentProcess.bootInfo.boot_tsc == 0 {
            // The host sampled CLOCK_REALTIME just before the first KVM_RUN: our
            // first rdtsc is the reference (see the header).
            currentProcess.bootInfo.boot_tsc = CPU.timestamp()
        }
        let info = currentProcess.bootInfo
        currentProcess.umask = UInt64(info.umask) & 0o777
        let strings = InitialStack.argumentStrings(info)
        let execfnIndex = Int(info.argc) + Int(info.envc)
        currentProcess.executableName = strings.count > execfnIndex + 1 ? strings[execfnIndex + 1] : strings[execfnIndex]
        currentProcess.interpreterName = strings.count > execfnIndex + 2 ? strings[execfnIndex + 2] : []
        let execfn = strings[execfnIndex]
        let base = execfn.lastIndex(of: PathResolver.slash).map { Array(execfn[($0 + 1)...]) } ?? execfn
        currentProcess.taskName = Array(base.prefix(15))
        currentProcess.random = RandomGenerator(seed: info.random.0 ^ 0x5DEE_CE66, info.random.1)
        currentProcess.files = FileTable.standard()
        ExecSyscalls.adoptInheritedState(info)
        currentProcess.addressSpace = AddressSpace(root: info.pml4_phys)
        if info.flags & UK_BOOT_NO_ASLR == 0 {
            currentProcess.addressSpace.randomize(&currentProcess.random)
        }
        currentProcess.addressSpace.mapImage(info)
        if Platform.rewritesSyscallSites, info.flags & UK_BOOT_NO_SYSCALL_PATCHING == 0 { SyscallPatcher.enable() }
        AddressSpace.largePages = info.flags & UK_BOOT_NO_LARGE_PAGES == 0
        currentProcess.vdsoBase = VDSO.map(into: &currentProcess.addressSpace, clock: info)
        let top = currentProcess.addressSpace.reserveStack()

        var stackPointer: UInt64
        do throws(Errno) {
            currentProcess.startLayout = try InitialStack.build(top: top, process: currentProcess)
            stackPointer = currentProcess.startLayout.stackStart
        } catch {
            switch error {
            case .EFAULT: kernelPanic("cannot build the initial stack: EFAULT")
            case .ENOMEM: kernelPanic("cannot build the initial stack: ENOMEM")
            default: kernelPanic("cannot build the initial stack")
            }
        }
        // Populate the top of the stack now, so early startup code rarely faults.
        var page = top - initialStackEagerBytes
        while page < top {
            _ = currentProcess.addressSpace.frame(for: page, write: true)
            page += UK_PAGE_SIZE
        }

        CPU.initializeFPU()
        Scheduler.start(pid: currentProcess.pid, cpuCount: Int(info.cpu_count))
        CPU.enterApplication(entry: info.start_entry != 0 ? info.start_entry : info.app_entry, stackPointer: stackPointer)
    }
}

/// Entry from `uk_entry` (entry.S) on the kernel stack, with the CPU prepared by the host.
@_cdecl("uk_kmain")
func kmain(_ bootInfo: UnsafePointer<uk_boot_info>) -> Never {
    Kernel.start(bootInfo)
}
