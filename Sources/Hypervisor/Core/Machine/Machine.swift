import CLinux
import Glibc
import SystemPackage
import UnikernelABI

/// One virtual machine running one program: built from a configuration
/// (KVM objects, guest memory, kernel and application images, boot info,
/// CPU state), then run until the program exits or dies.
public final class Machine {
    public let configuration: MachineConfiguration
    let system: KVMSystem
    var vm: VirtualMachine
    /// The vCPUs: vCPU 0 made with the machine, runs on the caller's thread; the others are
    /// made when the kernel first starts them (UK_HC_START_CPU) and run on threads of their own.
    var vcpus: VirtualCPUSet
    /// vCPU 0, which runs the kernel's start-up.
    var vcpu: VirtualCPU { vcpus.first }
    let memory: GuestMemory
    let handler: HypercallHandler
    let tracer: SyscallTracer
    public let layout: GuestLayout
    /// The CPUID leaves the vCPU reports.
    let cpuid: CPUIDTable
    /// The KVM implementation this machine runs on, which decides the kernel's privilege level.
    public let platform: Platform
    public let application: ApplicationImage
    /// The program with its interpreter, when it has one: what goes into guest memory.
    public let image: ProgramImage
    /// The kernel image's bytes (mapped), to name kernel functions in kernel-bug reports.
    let kernelBytes: FileBytes
    /// The run state the vCPU threads share (VirtualCPURunner.swift).
    var runState = RunState()
    /// Serialises the hypercalls that touch host state (files, tracer): the guest kernel
    /// serialises its own, but a hostile guest must not be able to race the host's tables.
    let callLock = HostMutex()
    /// The kernel's entry points and words the hypervisor uses (looked up once).
    let kernelSymbols: KernelSymbols
    /// The kernel's syscall entry, for the MSRs of each vCPU.
    var syscallEntry: UInt64 { kernelSymbols.syscallEntry }
    /// The boot CPU state every vCPU is prepared from (when it is made, and in a forked child).
    let bootCPU: BootCPUState
    /// Guest-physical address of the kernel's `uk_host_signals` word (0: the kernel has none).
    let hostSignalsPhysical: UInt64
    /// Guest-physical address of `uk_host_signal_senders` (who sent each forwarded signal).
    let hostSignalSendersPhysical: UInt64
    /// Whether this machine runs in a forked child of the first runner process.
    var isForkedChild = false
    /// In a vfork child: the pipe end its parent waits on, which carries the pages the child
    /// wrote and closes at its exec or exit (Machine+Vfork.swift).
    var vforkGate: Int32?
    /// In a vfork child that shares its parent's memory (CLONE_VM): its writes go back through the gate.
    var vforkSharesMemory = false
    /// In a vfork parent: the pages its child wrote where the parent had no writable page yet,
    /// until the kernel has populated them (UK_PROC_VFORK_PENDING, UK_PROC_VFORK_APPLY).
    var vforkPendingPages: [VforkPage] = []

    /// Builds the machine; nothing runs yet.
    public init(_ configuration: MachineConfiguration) throws(HypervisorError) {
        self.configuration = configuration
        isForkedChild = configuration.isChildProcess
        platform = configuration.platform ?? Platform.detect()
        do { try GuestLayout.validate(memorySize: configuration.memorySize) } catch { throw .layout(error) }

        kernelBytes = try Machine.readFile(configuration.kernelPath, isKernel: true)
        let programBytes = try Machine.readFile(configuration.programPath, isKernel: false)
        let kernel: KernelImage
        do {
            kernel = try KernelImage.plan(contents: kernelBytes, path: configuration.kernelPath)
            kernelSymbols = try KernelSymbols(kernel: kernel.file)
        } catch { throw .kernel(error) }
        let maxImage = GuestLayout.maximumImageSize(memorySize: configuration.memorySize, kernelEnd: kernel.physicalEnd)
        do {
            application = try ApplicationImage.plan(contents: programBytes, path: configuration.programPath,
                                                    loadBias: Machine.pieLoadBase(configuration), maxImageSize: maxImage,
                                                    allowInterpreter: true)
        } catch { throw .program(error) }

        let files: HostFileTable
        do {
            let own = configuration.privateDirectories
            files = try HostFileTable(rootDirectory: configuration.rootDirectory, readOnly: configuration.readOnlyRoot,
                                      volumes: configuration.volumes,
                                      privateVolumes: own?.volumes(besides: configuration.volumes, root: configuration.rootDirectory,
                                                                   readOnlyRoot: configuration.readOnlyRoot) ?? [],
                                      devicesAt: own?.servesDevices(besides: configuration.volumes) == true ? "/dev" : nil)
        } catch { throw .sandbox(error) }
        files.network = configuration.network
        // What the guest's /proc/self/exe opens (an execve's program is /proc/self/fd/N: the
        // descriptor its runner resolved beneath the guest's root).
        files.programDescriptor = Glibc.open(configuration.programPath, O_RDONLY | O_CLOEXEC)
        do {
            image = try ProgramImage(program: application,
                                     interpreter: Machine.loadInterpreter(of: application, from: files, maxImageSize: maxImage),
                                     maxImageSize: maxImage)
        } catch { throw .program(error) }

        let arguments = ArgumentBlock(arguments: configuration.arguments, environment: configuration.environment,
                                      executableName: configuration.executableName ?? configuration.programPath,
                                      executablePath: configuration.executablePath ?? Machine.canonicalPath(configuration.programPath),
                                      interpreterPath: application.interpreterPath ?? [])
        var argumentBytes = arguments.bytes
        // After an execve, the state the process kept follows the strings (8-byte aligned).
        let inheritOffset = (argumentBytes.count + 7) & ~7
        if let inherited = configuration.inherited {
            argumentBytes += [UInt8](repeating: 0, count: inheritOffset - argumentBytes.count) + inherited.encoded
        }
        do {
            layout = try GuestLayout(memorySize: configuration.memorySize, kernelEnd: kernel.physicalEnd,
                                     imageSize: image.imageSize, argumentBytes: UInt64(argumentBytes.count),
                                     segmentCount: image.segments.count, cpuCount: configuration.cpuCount)
        } catch { throw .layout(error) }

        for descriptor in configuration.inherited?.descriptors ?? [] { files.adoptInherited(descriptor.handle) }
        PhaseTimer.shared.mark("images-checked")

        do {
            system = try KVMSystem()
            vm = try system.createVirtualMachine()
            try vm.setTSSAddress(0xFFFB_D000)
            PhaseTimer.shared.mark("vm-created")
            memory = try GuestMemory(limit: configuration.memorySize, committed: layout.initialRAM)
            try vm.mapMemory(memory)
            PhaseTimer.shared.mark("memory-mapped")
            // Only vCPU 0 now: most programs never start a second one (startCPU makes it).
            let first = try vm.createVirtualCPU(id: 0)
            cpuid = try system.supportedCPUID()
            try first.setCPUID(cpuid)
            vcpus = VirtualCPUSet(first: first, count: configuration.cpuCount)
            PhaseTimer.shared.mark("vcpu-created")
        } catch let error as KVMError { throw .kvm(error) } catch let error as GuestMemoryError { throw .memory(error) } catch {
            throw .vmFailure("\(error)")
        }

        hostSignalsPhysical = kernelSymbols.hostSignals.flatMap { Machine.kernelPhysical($0) } ?? 0
        hostSignalSendersPhysical = kernelSymbols.hostSignalSenders.flatMap { Machine.kernelPhysical($0) } ?? 0
        tracer = SyscallTracer(output: configuration.traceSyscalls ? configuration.traceOutput : nil,
                               decoder: SyscallDecoder(memory: memory, root: UK_PAGE_TABLES_PHYS))
        handler = HypercallHandler(memory: memory, files: files, tracer: tracer)

        do {
            try BootGDT().write(into: memory)
            let tables = BootPageTables(memorySize: configuration.memorySize, mappedSize: memory.size,
                                        kernelUserAccessible: !platform.kernelPrivileged)
            bootCPU = BootCPUState(entry: kernel.entry, pageTableRoot: tables.pml4)
            try tables.write(into: memory)
            // Guest memory is a fresh anonymous mapping, all zeros: the images' file pages are
            // mapped there (copied where they cannot be), and nothing else is written.
            let mapPages: FilePagePlacement.PageMapper = { [memory] fd, offset, destination in
                memory.mapFilePages(fd, fileOffset: offset, over: destination)
            }
            try kernel.place(into: memory.region(at: 0, length: memory.size), mapPages: mapPages)
            image.place(into: try memory.region(at: layout.applicationImage, length: image.imageSize), mapPages: mapPages)
            try memory.write(argumentBytes, at: layout.arguments)
            for (i, segment) in image.segments.enumerated() {
                let entry = uk_segment(vaddr: segment.virtualAddress, memsz: segment.memorySize,
                                       filesz: segment.fileSize, flags: segment.flags, reserved: 0)
                try memory.store(entry, at: layout.segmentTable + UInt64(i * MemoryLayout<uk_segment>.size))
            }
            var info = bootInfo(arguments: arguments, pageTables: tables)
            if let inherited = configuration.inherited {
                info.inherit_phys = layout.arguments + UInt64(inheritOffset)
                info.inherit_size = UInt64(inherited.encoded.count)
            }

            let cpu = bootCPU
            // Every vCPU's tables now (the kernel reads and updates them before it starts a
            // vCPU); the KVM state of vCPU 0 only.
            for index in 0..<vcpus.count { try cpuTables(index).write(into: memory, template: tables) }
            let prepared = try prepareCPU(vcpu, index: 0, boot: cpu)
            var regs = cpu.registers
            regs.rflags = entryFlags
            try vcpu.setRegisters(regs)
            // Give the kernel what it cannot read at CPL3.
            info.cr0 = prepared.cr0
            info.cr4 = prepared.cr4
            info.cpu_tables_phys = layout.cpuTables
            info.cpu_count = UInt32(configuration.cpuCount)
            info.flags |= UK_BOOT_CPU_PREPARED | (platform.kernelPrivileged ? UK_BOOT_KERNEL_PRIVILEGED : 0)
            let fsgsbase = platform.kernelPrivileged ? prepared.cr4 & PreparedCPUState.cr4FSGSBASE != 0 : HostCPU.userFSGSBase
            if fsgsbase { info.flags |= UK_BOOT_FSGSBASE }
            try memory.store(info, at: UK_BOOT_INFO_PHYS)
            PhaseTimer.shared.mark("images-loaded")
        } catch let error as KVMError { throw .kvm(error) } catch let error as GuestMemoryError { throw .memory(error) } catch let error as ELFLoadError {
            throw .kernel(error)
        } catch { throw .vmFailure("\(error)") }
    }

    /// vCPU `index`'s descriptor tables, CPU-local page and page tables (written into guest
    /// memory once, at boot), from the kernel's exception stubs and stack top (`kernelSymbols`).
    func cpuTables(_ index: Int) -> KernelCPUTables {
        KernelCPUTables(tablesPhysical: layout.cpuTables + UInt64(index) * UK_CPU_TABLES_SIZE, cpu: index,
                        exceptionStubs: kernelSymbols.exceptionStubs, kernelStackTop: kernelSymbols.kernelStackTop)
    }

    /// Puts `vcpu` (vCPU `index`) in the kernel's final state (its tables, control registers,
    /// XCR0, MSRs, FPU; CPL0 or CPL3 as the platform decides), so that no start-up code sets the
    /// CPU up (on kvm-pvm every CPL0 instruction would be emulated). Its tables in guest memory
    /// must be written (`cpuTables`).
    @discardableResult
    func prepareCPU(_ vcpu: VirtualCPU, index: Int, boot: BootCPUState) throws -> PreparedCPUState {
        let state = PreparedCPUState(cpuid: cpuid, boot: boot,
                                     sseDisabled: configuration.faults.contains(.sseDisabled))
        var sregs = cpuTables(index).specialRegisters(from: boot.specialRegisters(from: try vcpu.specialRegisters()),
                                                      privileged: platform.kernelPrivileged)
        sregs.cr0 = state.cr0
        sregs.cr4 = state.cr4
        sregs.efer = state.efer
        if let xcr0 = state.xcr0 { try vcpu.setXCR0(xcr0) }
        try vcpu.setModelSpecificRegisters(PreparedCPUState.modelSpecificRegisters(
            syscallEntry: syscallEntry, kernelPrivileged: platform.kernelPrivileged))
        try vcpu.setSpecialRegisters(sregs)
        try vcpu.setFloatingPointState(boot.floatingPointState(from: try vcpu.floatingPointState()))
        return state
    }

    /// RFLAGS a vCPU enters the kernel with. At CPL3 (kvm-pvm) IF is set for good: CPL3 code
    /// cannot set it later, and the application must see it. At CPL0 the kernel runs with
    /// interrupts off and gives the application IF=1 with its iretq.
    var entryFlags: UInt64 { platform.kernelPrivileged ? 0x2 : 0x202 }

    /// The boot-info structure the kernel reads at entry.
    private func bootInfo(arguments: ArgumentBlock, pageTables: BootPageTables) -> uk_boot_info {
        var info = uk_boot_info()
        info.magic = UK_BOOT_MAGIC
        info.version = UInt32(UK_BOOT_VERSION)
        info.size = UInt32(MemoryLayout<uk_boot_info>.size)
        info.flags = bootFlags
        info.memory_size = memory.limit
        info.pml4_phys = pageTables.pml4
        info.kernel_phys_start = UK_KERNEL_PHYS_BASE
        info.kernel_phys_end = layout.kernelEnd
        info.free_phys_start = layout.freeStart
        info.free_phys_end = memory.size
        info.app_entry = application.entry
        info.app_load_bias = application.loadBias
        info.app_phdr_vaddr = application.phdrVirtualAddress
        info.app_phent = UInt32(application.programHeaderEntrySize)
        info.app_phnum = UInt32(application.programHeaderCount)
        info.app_elf_type = UInt32(application.elfType)
        info.segment_count = UInt32(image.segments.count)
        info.segments_phys = layout.segmentTable
        info.app_image_vaddr = application.imageVirtualAddress
        info.app_image_phys = layout.applicationImage
        info.app_image_size = image.imageSize
        info.interp_base = image.interpreterBase
        info.start_entry = image.startAddress
        info.args_phys = layout.arguments
        info.args_size = UInt64(arguments.bytes.count)
        info.argc = UInt32(arguments.arguments.count)
        info.envc = UInt32(arguments.environment.count)
        var random: (UInt64, UInt64) = (0, 0)
        _ = withUnsafeMutableBytes(of: &random) { clinux_random_bytes($0.baseAddress, $0.count) }
        info.random = random
        info.tsc_hz = ((try? vcpu.tscFrequencyKHz()) ?? 0) * 1000
        info.boot_tsc = 0
        info.boot_realtime_ns = 0 // sampled right before the first KVM_RUN
        info.uid = getuid(); info.euid = geteuid(); info.gid = getgid(); info.egid = getegid()
        info.pid = UInt32(getpid())
        info.ppid = UInt32(getppid())
        info.umask = UInt32(Machine.processUmask)
        info.hwcap = HostCPU.hwcap
        var refused = [UInt64](repeating: 0, count: 8)
        for number in configuration.refusedSyscalls where (0..<512).contains(number) {
            refused[number / 64] |= 1 << UInt64(number % 64)
        }
        info.refused_syscalls = (refused[0], refused[1], refused[2], refused[3], refused[4], refused[5], refused[6], refused[7])
        return info
    }

    /// Where a static-pie program loads: Linux's base, shifted by a random
    /// number of pages unless randomisation is off.
    static func pieLoadBase(_ configuration: MachineConfiguration) -> UInt64 {
        guard configuration.addressSpaceRandomization else { return MachineConfiguration.pieBase }
        var random: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &random) { clinux_random_bytes($0.baseAddress, $0.count) }
        return MachineConfiguration.pieBase + (random % MachineConfiguration.pieRandomPages) * UK_PAGE_SIZE
    }

    /// The hypervisor's umask when it started. The process then runs with
    /// umask 0, so the guest's own umask (starting from this one) is applied
    /// exactly once, by the kernel.
    static let processUmask: mode_t = {
        let mask = umask(0)
        return mask
    }()

    /// The canonical absolute path of `path` (what /proc/self/exe shows natively).
    static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private var bootFlags: UInt64 {
        var flags: UInt64 = 0
        if !configuration.addressSpaceRandomization { flags |= UK_BOOT_NO_ASLR }
        if !configuration.syscallPatching { flags |= UK_BOOT_NO_SYSCALL_PATCHING }
        if !configuration.hugePages { flags |= UK_BOOT_NO_LARGE_PAGES }
        if configuration.traceSyscalls { flags |= UK_BOOT_TRACE_SYSCALLS }
        if configuration.faults.contains(.misalignedStack) { flags |= UK_BOOT_FAULT_MISALIGN_RSP }
        if configuration.faults.contains(.sseDisabled) { flags |= UK_BOOT_FAULT_NO_SSE }
        if configuration.faults.contains(.noFSBase) { flags |= UK_BOOT_FAULT_NO_FS_BASE }
        if configuration.faults.contains(.kernelTrap) { flags |= UK_BOOT_FAULT_KERNEL_TRAP }
        return flags
    }

    /// A dynamically linked program's interpreter, read from the guest's file system (as Linux
    /// opens PT_INTERP in the process's) and planned after the program; nil for a static one.
    static func loadInterpreter(of program: ApplicationImage, from files: HostFileTable,
                                maxImageSize: UInt64) throws(ELFLoadError) -> ApplicationImage? {
        guard let path = program.interpreterPath else { return nil }
        let name = String(decoding: path.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        guard path.first == UInt8(ascii: "/") else {
            throw .interpreterUnavailable(path: program.file.path, interpreter: name, reason: "not an absolute path")
        }
        let fd = files.resolve(path, flags: O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .interpreterUnavailable(path: program.file.path, interpreter: name, reason: String(cString: strerror(Glibc.errno)))
        }
        guard let bytes = Machine.contents(of: fd) else {
            throw .interpreterUnavailable(path: program.file.path, interpreter: name, reason: "cannot read it")
        }
        // An interpreter with an interpreter of its own is refused (dynamicallyLinked), as Linux does.
        return try ApplicationImage.plan(contents: bytes, path: name, loadBias: ProgramImage.interpreterBase(after: program),
                                         maxImageSize: maxImageSize)
    }

    /// The file at `path`, mapped (read when it cannot be mapped).
    private static func readFile(_ path: String, isKernel: Bool) throws(HypervisorError) -> FileBytes {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            if isKernel { throw .kernelUnreadable(path: path, errno: .isDirectory) }
            throw .programIsDirectory(path: path)
        }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, let bytes = contents(of: fd) else {
            let errno = fd >= 0 ? Errno.ioError : Errno(rawValue: Glibc.errno)
            throw isKernel ? .kernelUnreadable(path: path, errno: errno) : .programUnreadable(path: path, errno: errno)
        }
        return bytes
    }

    /// The whole file behind `fd`, which the result takes over (closed here on failure): a
    /// mapping of a regular file, else the bytes read from it.
    static func contents(of fd: Int32) -> FileBytes? {
        if let mapped = FileBytes.mapping(fd) { return mapped }
        defer { Glibc.close(fd) }
        return readAll(fd).map(FileBytes.init)
    }
}

extension Machine {
    /// Runs the guest to completion: vCPU 0 on the calling thread, the others on their own
    /// threads once the kernel starts them; the first vCPU to end the run decides the outcome.
    public func run() -> RunOutcome {
        guard ckvm_install_signal_handlers(vcpu.run) == 0 else {
            return .failed(message: "cannot install signal handlers: \(Errno.current)")
        }
        defer { ckvm_unregister_vcpu_thread(); ckvm_forget_vcpu_threads() }
        _ = runState.entering(cpu: 0)
        if let timeout = configuration.timeout {
            _ = ckvm_arm_timeout(UInt64(max(1, timeout * 1000)))
        }
        defer { _ = ckvm_arm_timeout(0) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let realtime = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        try? memory.store(realtime, at: UK_BOOT_INFO_PHYS + UInt64(MemoryLayout<uk_boot_info>.offset(of: \uk_boot_info.boot_realtime_ns)!))

        PhaseTimer.shared.mark("first-run")
        let own = runLoop(VCPUContext(index: 0, vcpu: vcpu))
        let stopped = runState.stop(with: own)
        runState.joinOthers()
        let outcome = explained(stopped)
        traceUnfinishedCall(of: outcome)
        // A guest stopped from outside (or dead) cannot flush its write-behind
        // buffer: write it out here, as Linux keeps a killed process's writes.
        // After a normal exit nothing is pending (the kernel flushed before).
        _ = handler.flushPendingWrite()
        return outcome
    }

    /// One vCPU's loop: runs it until it ends the run or another vCPU did.
    func runLoop(_ context: VCPUContext) -> RunOutcome {
        defer { _ = ckvm_arm_tick(0) }
        while true {
            if context.interruptPending,
               ckvm_inject_interrupt(context.vcpu.fd.rawValue, context.vcpu.run, UInt32(UK_TIMER_VECTOR)) == 1 {
                context.interruptPending = false
            }
            let exit: VMExit
            do { exit = try context.vcpu.runOnce() } catch { return .failed(message: error.description) }
            if context.index == 0 { PhaseTimer.shared.vmExit(exit) }
            if let outcome = step(exit, on: context) { return outcome }
        }
    }

    /// Starts vCPU `cpu` at `rip` with `rsp` and RDI = `rdi` on a thread of its own
    /// (UK_HC_START_CPU); -EINVAL for a vCPU that does not exist or is vCPU 0, -EBUSY when
    /// it already runs or the run is ending.
    func startCPU(_ cpu: Int, rip: UInt64, rsp: UInt64, rdi: UInt64) -> Int64 {
        guard cpu > 0, cpu < vcpus.count else { return -Int64(EINVAL) }
        guard runState.reserve(cpu: cpu) else { return -Int64(EBUSY) }
        // A deferred IPC namespace must be made while this is the runner's only thread.
        SystemVIPC.isolateIfPending()
        let vcpu: VirtualCPU
        do {
            vcpu = try vcpus.vcpu(at: cpu) {
                let made = try vm.createVirtualCPU(id: UInt32(cpu))
                try made.setCPUID(cpuid)
                try prepareCPU(made, index: cpu, boot: bootCPU)
                return made
            }
        } catch {
            runState.release(cpu: cpu)
            return -Int64(EAGAIN)
        }
        var regs = kvm_regs()
        regs.rip = rip
        regs.rsp = rsp
        regs.rdi = rdi
        regs.rflags = entryFlags
        do { try vcpu.setRegisters(regs) } catch {
            runState.release(cpu: cpu)
            return -Int64(EINVAL)
        }
        let context = VCPUContext(index: cpu, vcpu: vcpu)
        let started = HostThread.start { [self] in
            guard ckvm_register_vcpu_thread(context.vcpu.run) == 0 else {
                _ = runState.stop(with: .failed(message: "cannot set up the thread of vCPU \(cpu)"))
                return
            }
            defer { ckvm_unregister_vcpu_thread() }
            if let outcome = runState.entering(cpu: cpu) {
                _ = runState.stop(with: outcome)
                return
            }
            _ = runState.stop(with: runLoop(context))
        }
        guard let started else {
            runState.release(cpu: cpu)
            return -Int64(EAGAIN)
        }
        runState.started(cpu: cpu, thread: started)
        return 0
    }

    /// UK_HC_KICK from `context`'s vCPU: the tick vector for each vCPU in `mask`.
    func kick(_ mask: UInt64, from context: VCPUContext) {
        if mask & (1 << UInt64(context.index)) != 0 { context.interruptPending = true }
        runState.kick(mask & ~(1 << UInt64(context.index)))
    }

    /// Handles one VM exit of `context`'s vCPU; nil means resume the guest.
    func step(_ exit: VMExit, on context: VCPUContext) -> RunOutcome? {
        let vcpu = context.vcpu
        switch exit {
        case let .mmio(address, true, length, data) where Hypercall.isHypercallAddress(address):
            return perform(on: context) { () throws(HypercallFault) in try Hypercall.decode(mmioAddress: address, length: length, data: data, memory: memory) }
        case let .portWrite(port, _, _), let .portRead(port, _):
            // Hypercalls are MMIO stores only; no device answers on I/O ports (the application
            // cannot reach them: IOPL 0, no I/O bitmap), so only a broken kernel gets here.
            return .failed(message: "the guest kernel accessed I/O port 0x\(String(port, radix: 16)), where no device is (hypercalls are stores to the hypercall page)")
        case .interrupted:
            ckvm_clear_immediate_exit(vcpu.run)
            return takeSignals(context)
        case .interruptWindowOpen:
            return nil  // the loop injects the pending tick now
        case .halt:
            let rip = (try? vcpu.registers().rip) ?? 0
            return .crashed(report: "\(configuration.programPath): guest executed hlt at rip 0x\(String(rip, radix: 16)) (a privileged instruction: Linux kills the process with SIGSEGV)\n  exit status 139",
                            signal: 11)
        case .shutdown:
            let rip = (try? vcpu.registers().rip) ?? 0
            return .failed(message: "guest triple fault (shutdown) near rip 0x\(String(rip, radix: 16)): the kernel could not handle an exception")
        case let .failEntry(reason):
            return .failed(message: "KVM refused to enter the guest (hardware reason 0x\(String(reason, radix: 16)))\(registerSummary(vcpu))")
        case let .internalError(suberror):
            if suberror == 1 { // KVM_INTERNAL_ERROR_EMULATION
                return .failed(message: "KVM could not emulate the guest instruction \(instructionBytes(vcpu))\(registerSummary(vcpu))"
                    + (cpl(vcpu) == 0 ? " (kvm-pvm emulates guest CPL0 code instruction by instruction and cannot emulate x87/SSE/AVX instructions: code at CPL0 must avoid them; see README, Platforms)" : ""))
            }
            return .failed(message: "KVM internal error (suberror \(suberror)) while running the guest\(registerSummary(vcpu))")
        case let .mmio(address, isWrite, length, _):
            return .failed(message: "guest \(isWrite ? "wrote" : "read") \(length) bytes at unbacked guest-physical address 0x\(String(address, radix: 16))")
        case let .other(reason):
            return .failed(message: "unexpected KVM exit reason \(reason)")
        }
    }

    /// Acts on the signals the run loop's handlers recorded: the timeout ends the run, as does
    /// another vCPU's end; the tick and a kick become an interrupt to inject; signals for the
    /// guest are forwarded. SIGINT and SIGTERM are the guest's, as when the program runs
    /// directly, unless its kernel never took the previous one (a kernel that no longer runs
    /// its entry paths): then the run ends, so that they always stop a stuck guest.
    private func takeSignals(_ context: VCPUContext) -> RunOutcome? {
        if ckvm_take_tick() != 0 { context.interruptPending = true }
        if ckvm_take_kick() != 0 { context.interruptPending = true }
        if let outcome = runState.outcome { return outcome }
        if ckvm_take_parent_change() != 0 { noteParentChange() }
        let forwarded = ckvm_take_forwarded()
        for signal in [SIGINT, SIGTERM] where forwarded & Machine.bit(signal) != 0 && guestPendingSignals & Machine.bit(signal) != 0 {
            return .interrupted(signal: signal)
        }
        if forwarded != 0, forwardToGuest(forwarded) { context.interruptPending = true }
        // The runner's own signal: the timeout (SIGALRM).
        return ckvm_take_pending_signal() == SIGALRM ? .timedOut(seconds: configuration.timeout ?? 0) : nil
    }

    /// From now on the runner follows its parent (ckvm_track_parent): a reparenting reaches the
    /// guest's getppid, and its PR_SET_PDEATHSIG signal may be armed. Called once at start,
    /// after the parent-death signal a caller set was read (InheritedState.ofThisProcess).
    public static func followParent() { _ = ckvm_track_parent() }

    /// Gives the kernel the runner's parent now (uk_boot_info.ppid, which getppid reads).
    func noteParentChange() {
        try? memory.store(UInt32(getppid()), at: UK_BOOT_INFO_PHYS + UInt64(MemoryLayout<uk_boot_info>.offset(of: \uk_boot_info.ppid)!))
    }

    /// The vCPU's instruction and stack pointers, for failure messages.
    private func registerSummary(_ vcpu: VirtualCPU) -> String {
        guard let regs = try? vcpu.registers(), let sregs = try? vcpu.specialRegisters() else { return "" }
        let hex = { (v: UInt64) in "0x" + String(v, radix: 16) }
        return " at rip \(hex(regs.rip)) (cpl \(sregs.cs.dpl)), rsp \(hex(regs.rsp)), cr0 \(hex(sregs.cr0)), cr4 \(hex(sregs.cr4)), efer \(hex(sregs.efer))"
    }

    /// Decodes and performs one hypercall of `context`'s vCPU; nil means resume the guest.
    private func perform(on context: VCPUContext, _ decode: () throws(HypercallFault) -> DecodedHypercall) -> RunOutcome? {
        let decoded: DecodedHypercall
        do {
            decoded = try decode()
        } catch {
            if let address = error.resultAddress, let errno = error.error.errno {
                try? memory.store(-errno, at: address)
            }
            return nil
        }
        let answer = { (result: Int64) in
            if let address = decoded.resultAddress { try? self.memory.store(result, at: address) }
        }
        // A stop (timeout, SIGINT/SIGTERM, another vCPU's end) is taken before a call that may
        // block in the host.
        if ckvm_take_pending_signal() != 0 || runState.outcome != nil, let stop = takeSignals(context) { return stop }
        switch decoded.call {
        case let .idle(timeout):
            // Parks until the timeout, a tick, a kick or a signal (taken right after); not while
            // forwarded signals wait in the kernel's word (an interrupt that told the kernel about
            // them may have landed in its idle loop, where it only asks for a reschedule).
            if !context.interruptPending, hostSignalsPhysical == 0 || (try? memory.load(UInt64.self, at: hostSignalsPhysical)) ?? 0 == 0 {
                ckvm_idle(timeout ?? UInt64.max)
            }
            answer(0)
            return takeSignals(context)
        case let .armTimer(interval):
            answer(ckvm_arm_tick(interval) == 0 ? 0 : -Int64(Glibc.errno))
            return nil
        case let .startCPU(cpu, rip, rsp, rdi):
            answer(startCPU(cpu, rip: rip, rsp: rsp, rdi: rdi))
            return nil
        case let .kick(mask):
            kick(mask, from: context)
            answer(0)
            return nil
        case let .process(request) where request.operation == UK_PROC_FORK.rawValue:
            answer(fork(request))
            return nil
        case let .process(request) where request.operation == UK_PROC_VFORK_PENDING.rawValue:
            answer(vforkPending(request))
            return nil
        case let .process(request) where request.operation == UK_PROC_VFORK_APPLY.rawValue:
            answer(vforkApply(request))
            return nil
        case let .process(request) where request.operation == UK_PROC_EXEC.rawValue:
            answer(exec(request))
            return nil
        case let .process(request) where request.operation == UK_PROC_MAP_SHARED.rawValue:
            // Under the call lock: the handle's descriptor stays open while it is mapped.
            let (handle, offset, length) = (request.arguments[0], request.arguments[1], request.arguments[2])
            answer(callLock.withLock {
                var fd: Int32?
                if handle != -1 {
                    guard let descriptor = Int32(exactly: handle).flatMap({ handler.files.descriptor($0) }) else { return -Int64(EBADF) }
                    fd = descriptor
                }
                guard offset >= 0, length > 0 else { return -Int64(EINVAL) }
                return memory.shared.create(fd: fd, offset: UInt64(offset), length: UInt64(length),
                                            writable: request.flags & 1 != 0, vm: vm)
            })
            return nil
        case let .process(request) where request.operation == UK_PROC_GROW_MEMORY.rawValue:
            answer(callLock.withLock {
                guard request.arguments[0] > 0, let end = memory.grow(byAtLeast: UInt64(request.arguments[0]), vm: vm) else {
                    return -Int64(ENOMEM)
                }
                return Int64(end)
            })
            return nil
        case let .process(request) where request.operation == UK_PROC_UNMAP_SHARED.rawValue:
            answer(callLock.withLock { memory.shared.remove(UInt64(bitPattern: request.arguments[0]), vm: vm) })
            return nil
        case let .process(request) where request.operation == UK_PROC_SYSV.rawValue && request.flags == 220:
            // A semaphore operation may wait (a slice, SystemVIPC): not under the call lock.
            guard let range = request.buffer else { answer(-Int64(EFAULT)); return nil }
            answer((try? memory.withBytes(at: range.address, length: range.length) {
                SystemVIPC.perform(request, buffer: $0) { _, _ in -Int64(EINVAL) }
            }) ?? -Int64(EFAULT))
            return nil
        case let .process(request) where request.operation == UK_PROC_SYSV.rawValue:
            // Under the call lock (shmat adds a window); these never wait (SystemVIPC).
            answer(callLock.withLock {
                let addWindow = { (host: UnsafeMutableRawPointer, length: UInt64) in self.memory.shared.adopt(host, length: length, vm: self.vm) }
                guard let range = request.buffer else { return SystemVIPC.perform(request, buffer: nil, addWindow: addWindow) }
                return (try? memory.withBytes(at: range.address, length: range.length) {
                    SystemVIPC.perform(request, buffer: $0, addWindow: addWindow)
                }) ?? -Int64(EFAULT)
            })
            return nil
        case let .process(request) where request.operation == UK_PROC_SHARED_SIZE.rawValue:
            answer(memory.shared.backedSize(UInt64(bitPattern: request.arguments[0])))
            return nil
        case let .process(request) where request.operation == UK_PROC_FUTEX.rawValue:
            // Not under the call lock: a wait blocks this vCPU's thread only.
            answer(sharedFutex(request))
            return nil
        case let .process(request) where request.operation == UK_PROC_SYNC_SHARED.rawValue:
            let (address, offset, length) = (request.arguments[0], request.arguments[1], request.arguments[2])
            guard offset >= 0, length >= 0 else { answer(-Int64(EINVAL)); return nil }
            answer(memory.shared.sync(UInt64(bitPattern: address), offset: UInt64(offset), length: UInt64(length),
                                      flags: Int32(bitPattern: request.flags)))
            return nil
        default:
            break
        }
        switch callLock.withLock({ handler.handle(decoded.call) }) {
        case let .resume(result):
            if let result { answer(result) }
            return nil
        case let .stop(reason):
            return outcome(of: reason, on: context.vcpu)
        }
    }

    static let longestSharedFutexWait: Int64 = 100_000_000

    /// UK_PROC_FUTEX: the host's shared futex on a window's word.
    private func sharedFutex(_ request: ProcessRequest) -> Int64 {
        let address = UInt64(bitPattern: request.arguments[0])
        guard address & 3 == 0, let word = memory.shared.pointer(address, 4) else { return -Int64(EFAULT) }
        let low = UInt32(truncatingIfNeeded: request.arguments[1]), bitset = UInt32(truncatingIfNeeded: request.arguments[1] >> 32)
        guard bitset != 0 else { return -Int64(EINVAL) }
        // SAFETY: a 4-byte, 4-aligned word inside a live window's host mapping (pointer(_:_:));
        // a removed window's range stays mapped (anonymous memory) until the runner ends.
        let pointer = word.assumingMemoryBound(to: UInt32.self)
        if request.flags == 1 { return Int64(clinux_futex_wake(pointer, Int32(bitPattern: low), bitset)) }
        // At most a tenth of a second per call (the kernel waits in 20 ms slices): a guest cannot
        // park a vCPU thread where a stop (timeout, SIGTERM) would wait for it.
        let interval = UInt64(min(max(0, request.arguments[2]), Machine.longestSharedFutexWait))
        return Int64(clinux_futex_wait(pointer, low, interval, bitset))
    }

    /// "symbol+offset" for an application address, or its segment and offset
    /// when the program is stripped; nil outside the application.
    func describeApplicationAddress(_ address: UInt64) -> String? {
        let fileAddress = address &- application.loadBias
        if let name = ELFSymbols(elf: application.file.bytes).describe(fileAddress),
           application.segments.contains(where: { $0.contains(address) }) {
            return name
        }
        guard let index = application.segments.firstIndex(where: { $0.contains(address) }) else { return nil }
        let segment = application.segments[index]
        let permissions = (segment.isReadable ? "r" : "-") + (segment.isWritable ? "w" : "-") + (segment.isExecutable ? "x" : "-")
        return "segment \(index) (\(permissions)) + 0x\(String(address - segment.virtualAddress, radix: 16))"
    }

    /// The privilege level the vCPU was at (CS.DPL), or nil if unreadable.
    private func cpl(_ vcpu: VirtualCPU) -> UInt8? { (try? vcpu.specialRegisters())?.cs.dpl }

    /// The bytes at the vCPU's RIP, read through the guest's page tables.
    private func instructionBytes(_ vcpu: VirtualCPU) -> String {
        guard let regs = try? vcpu.registers(), let sregs = try? vcpu.specialRegisters() else { return "(unreadable)" }
        let bytes = GuestPageWalk(memory: memory, root: sregs.cr3).read(regs.rip, count: 15)
        return bytes.isEmpty ? "(unmapped)" : "[" + bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ") + "]"
    }

    func outcome(of reason: StopReason, on vcpu: VirtualCPU? = nil) -> RunOutcome {
        switch reason {
        case let .exited(status):
            return .exited(status: status)
        case let .killed(signal):
            return .killed(signal: signal)
        case let .crashed(crash) where KernelBugReport.isKernelFault(crash, kernelPrivileged: platform.kernelPrivileged):
            return kernelBug(crash)
        case let .crashed(crash):
            let rip = crash.registers.rip
            let bytes = GuestPageWalk(memory: memory, root: crash.registers.cr3).read(rip, count: 15)
            let report = CrashReport(crash: crash, programPath: configuration.programPath, recentSyscalls: tracer.recent,
                                     location: describeApplicationAddress(rip),
                                     instruction: Disassembler.firstInstruction(bytes, at: rip))
            return .crashed(report: report.text, signal: report.kind.signal)
        case let .kernelPanic(message):
            // A panic inside a call names it, as a kernel bug does.
            let call = callInProgress
            if let call { tracer.recordUnfinished(call, result: "? <kernel panic>") }
            return .failed(message: "kernel panic: \(message)" + (call.map { " while serving \($0)" } ?? ""))
        }
    }

    /// The report of a fault in the kernel itself: the kernel function, the cause and the call
    /// in progress, which `--trace` prints too though it never returned.
    func kernelBug(_ crash: GuestCrash) -> RunOutcome {
        let rip = crash.registers.rip
        let call = callInProgress
        if let call { tracer.recordUnfinished(call, result: KernelBugReport.traceResult) }
        let bytes = GuestPageWalk(memory: memory, root: crash.registers.cr3).read(rip, count: 15)
        let report = KernelBugReport(
            crash: crash, location: KernelBugReport.describeKernelAddress(rip, symbols: ELFSymbols(elf: kernelBytes)),
            instructionBytes: bytes, instruction: Disassembler.firstInstruction(bytes, at: rip),
            syscallInProgress: call, recentSyscalls: tracer.recent)
        return .kernelBug(report: report.text)
    }

    /// With --trace, a guest stopped from outside while the kernel served a call (a hang in
    /// `read`, `poll`...) gets that call's line too, as strace prints a call a signal cut short.
    private func traceUnfinishedCall(of outcome: RunOutcome) {
        let result: String
        switch outcome {
        case .timedOut: result = "? <timed out>"
        case .interrupted: result = "? <interrupted>"
        default: return
        }
        guard configuration.traceSyscalls, let call = callInProgress else { return }
        tracer.recordUnfinished(call, result: result)
    }

    /// The call the kernel is serving, spelled as --trace spells calls; nil when it serves none.
    var callInProgress: String? {
        syscallInProgress.map { tracer.describeCall(number: $0.number, arguments: $0.arguments) }
    }

    /// The guest-physical address of a kernel-virtual one: in the kernel image's window (the
    /// boot stack) or in the direct map (the other tasks' kernel stacks); nil elsewhere.
    static func kernelPhysical(_ virtual: UInt64) -> UInt64? {
        if virtual >= UK_KERNEL_VIRT_BASE, virtual - UK_KERNEL_VIRT_BASE < UK_KERNEL_WINDOW_SIZE { return virtual - UK_KERNEL_VIRT_BASE }
        if virtual >= UK_DIRECT_MAP_BASE, virtual < UK_KERNEL_VIRT_BASE { return virtual - UK_DIRECT_MAP_BASE }
        return nil
    }

    /// The call the kernel is serving (`uk_syscall_in_progress` names its frame on the task's
    /// kernel stack), nil when it serves none. Read only to be printed:
    /// on kvm-pvm the program can write that page; every address is checked as any other.
    private var syscallInProgress: (number: UInt64, arguments: [UInt64])? {
        guard let record = try? memory.load(uk_syscall_in_progress.self, at: UK_SYSCALL_IN_PROGRESS_PHYS),
              let physical = Machine.kernelPhysical(record.frame),
              let frame = try? memory.load(uk_syscall_frame.self, at: physical) else { return nil }
        return (frame.rax, [frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9])
    }
}
