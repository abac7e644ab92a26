import UnikernelABI

/// TLB consistency across vCPUs. A vCPU that unmaps or restricts application pages
/// invalidates them locally at once (invlpg) and, when other vCPUs run the application,
/// notes a shootdown; before it leaves the kernel it bumps the TLB generation, interrupts
/// the vCPUs that are in application code (UK_HC_KICK: their tick stub reloads CR3 and
/// records the generation) and waits until they did; vCPUs in the kernel or idle catch up
/// before they return to the application. Frames freed meanwhile are handed back to the
/// allocator only after the shootdown, so no vCPU can reach a reused frame through a stale
/// translation.
enum TLB {
    private static var generationWord: UnsafeMutablePointer<UInt64> {
        // SAFETY: uk_tlb_generation, a .data word; written under the kernel lock, read by the stubs.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_tlb_generation_address()))!
    }

    private static var pending = false
    private static var deferredFrames: [UInt64] = []

    /// Whether other vCPUs may hold translations of the application (more than one started).
    static var shared: Bool { Scheduler.startedCPUCount > 1 }

    /// A mapping was removed or restricted.
    static func noteChange() {
        if shared { pending = true }
    }

    /// Takes a freed frame; false when the frame may be released at once.
    static func deferRelease(_ frame: UInt64) -> Bool {
        guard shared else { return false }
        deferredFrames.append(frame)
        pending = true
        return true
    }

    /// Before leaving the kernel: the shootdown, then the deferred frames.
    static func settle() {
        guard pending else { return }
        pending = false
        shootdown()
        let frames = deferredFrames
        deferredFrames.removeAll()
        for frame in frames { Frames.allocator.release(frame) }
    }

    /// Reloads this vCPU's TLB when a shootdown happened since it last did.
    static func catchUp() {
        let generation = generationWord.pointee
        guard CPULocal.tlbSeen != generation else { return }
        uk_flush_tlb()
        CPULocal.tlbSeen = generation
    }

    private static func shootdown() {
        let generation = generationWord.pointee &+ 1
        generationWord.pointee = generation
        CPULocal.tlbSeen = generation  // this vCPU invalidated every page it changed
        let targets = Scheduler.cpusInApplication(except: CPULocal.index)
        guard targets != 0 else { return }
        Hypercall.kick(cpus: targets)
        var cpu = 0
        while cpu < 64 {
            if targets & (1 << UInt64(cpu)) != 0 {
                while CPULocal.tlbSeen(ofCPU: cpu) < generation && CPULocal.inApplication(cpu: cpu) { CPU.pause() }
            }
            cpu += 1
        }
    }
}

@_extern(c, "uk_tlb_generation_address") func uk_tlb_generation_address() -> UInt64
@_extern(c, "uk_flush_tlb") func uk_flush_tlb()
