import UnikernelABI

/// TLB consistency across vCPUs. A vCPU that changes application mappings invalidates them
/// locally at once (invlpg) and, when other vCPUs run the application, notes a shootdown.
/// Before it leaves the kernel it bumps the TLB generation and interrupts the vCPUs that are
/// in application code (UK_HC_KICK: their tick stub reloads CR3 and records the generation);
/// vCPUs in the kernel or idle catch up before they return to the application.
///
/// When a mapping was restricted or replaced (mprotect, a mapping over another), the vCPU
/// waits until every interrupted vCPU has flushed, as Linux does: no thread may keep writing
/// through a translation that no longer allows it. When mappings were only removed (munmap,
/// MADV_DONTNEED: a thread's stack at its exit), it does not wait: the freed frames stay
/// in quarantine, out of the allocator, until every vCPU that may hold a translation to them
/// has flushed, so no vCPU can reach a reused frame through a stale translation.
enum TLB {
    /// What the shootdown before leaving the kernel must do.
    enum Change: Int {
        case none = 0
        /// Mappings were removed: interrupt, do not wait (the frames wait in quarantine).
        case removed = 1
        /// Mappings were restricted or replaced: interrupt and wait.
        case restricted = 2
    }

    private static var generationWord: UnsafeMutablePointer<UInt64> {
        // SAFETY: uk_tlb_generation, a .data word; written under the kernel lock, read by the stubs.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_tlb_generation_address()))!
    }

    private static var pending = Change.none
    private static var deferredFrames: [UInt64] = []
    /// Frames freed before the shootdown of `generation`, released once no vCPU can still
    /// translate to them.
    private static var quarantine: [(generation: UInt64, frames: [UInt64])] = []

    /// Whether other vCPUs may hold translations of the application (more than one started).
    static var shared: Bool { Scheduler.startedCPUCount > 1 }

    /// A mapping changed: removed, or (`restricting`) restricted or replaced.
    static func noteChange(restricting: Bool) {
        guard shared else { return }
        let change: Change = restricting ? .restricted : .removed
        if change.rawValue > pending.rawValue { pending = change }
    }

    /// Marks a quarantined 2 MiB frame (frame addresses have their low 12 bits clear).
    static let hugeFrameTag: UInt64 = 1

    /// Takes a freed frame (`hugeFrameTag` set: a 2 MiB one); false when the frame may be released at once.
    static func deferRelease(_ frame: UInt64) -> Bool {
        guard shared else { return false }
        deferredFrames.append(frame)
        if pending == .none { pending = .removed }
        return true
    }

    /// Before leaving the kernel: the shootdown, then whatever the quarantine may release.
    static func settle() {
        if pending != .none {
            let change = pending
            pending = .none
            let generation = shootdown(waiting: change == .restricted)
            if !deferredFrames.isEmpty {
                quarantine.append((generation, deferredFrames))
                deferredFrames.removeAll()
            }
        }
        releaseQuarantine()
    }

    /// Flushes every vCPU's translations now and waits for them (before memory that mappings
    /// pointed at leaves the VM: a shared window).
    static func flushEverywhere() {
        uk_flush_tlb()
        guard shared else { return }
        _ = shootdown(waiting: true)
    }

    // MARK: This vCPU's invalidations, batched per address-space operation

    /// Open batches (nested operations: mremap unmaps inside its own batch).
    private static var batchDepth = 0
    /// Pages the open batch must invalidate on this vCPU; past `singlePageCeiling` it reloads
    /// CR3 instead and stops recording them.
    private static var batchedPages: [UInt64] = []
    private static var batchNeedsFullFlush = false

    /// The most pages one operation invalidates one by one before it reloads CR3 instead
    /// (Linux's tlb_single_page_flush_ceiling is 33). On kvm-pvm each invlpg is a trap to CPL0
    /// (a #UD and ~13 emulated instructions, ~40 µs) and so is a CR3 reload: more than one
    /// page costs one reload. (Unmapping a thread's stack cleared 12 present pages: 12 traps.)
    static var singlePageCeiling: Int { Platform.kernelPrivileged ? 33 : 1 }

    /// Starts gathering this vCPU's invalidations (an operation on many pages: munmap,
    /// mprotect, madvise, mremap). The caller ends the batch before it leaves the kernel,
    /// blocks or lets the application run; the kernel itself reads application memory through
    /// the direct map, never through the stale translations, so the delay is invisible.
    static func beginBatch() {
        batchDepth += 1
    }

    /// Ends a batch: the outermost one invalidates what it gathered (page by page, or one CR3 reload).
    static func endBatch() {
        batchDepth -= 1
        guard batchDepth == 0 else { return }
        if batchNeedsFullFlush {
            uk_flush_tlb()
        } else {
            for page in batchedPages { CPU.invalidatePage(page) }
        }
        batchedPages.removeAll(keepingCapacity: true)
        batchNeedsFullFlush = false
    }

    /// Drops this vCPU's translation of `page` (a changed leaf entry): at once, or at the end
    /// of the open batch.
    static func invalidateLocally(_ page: UInt64) {
        guard batchDepth > 0 else {
            CPU.invalidatePage(page)
            return
        }
        guard !batchNeedsFullFlush else { return }
        if batchedPages.count >= singlePageCeiling {
            batchNeedsFullFlush = true
            batchedPages.removeAll(keepingCapacity: true)
        } else {
            batchedPages.append(page)
        }
    }

    /// Reloads this vCPU's TLB when a shootdown happened since it last did.
    static func catchUp() {
        let generation = generationWord.pointee
        guard CPULocal.tlbSeen != generation else { return }
        uk_flush_tlb()
        CPULocal.tlbSeen = generation
    }

    /// Waits until every quarantined frame can be released and releases it (the frame
    /// allocator ran dry).
    static func drainQuarantine() {
        guard !quarantine.isEmpty else { return }
        waitForFlush(of: generationWord.pointee)
        releaseQuarantine()
    }

    /// Whether no vCPU can still translate to frames freed before `generation`: each other
    /// started vCPU has flushed for it, or is out of application code (it catches up before
    /// it returns there).
    private static func everyoneFlushed(_ generation: UInt64) -> Bool {
        Scheduler.cpusInApplication(except: CPULocal.index) & ~flushedMask(generation) == 0
    }

    private static func flushedMask(_ generation: UInt64) -> UInt64 {
        var mask: UInt64 = 0
        for cpu in 0..<min(Scheduler.cpuCount, 64) where CPULocal.tlbSeen(ofCPU: cpu) >= generation {
            mask |= 1 << UInt64(cpu)
        }
        return mask
    }

    private static func releaseQuarantine() {
        while let first = quarantine.first, everyoneFlushed(first.generation) {
            quarantine.removeFirst()
            for frame in first.frames { Frames.releaseQuarantined(frame) }
        }
    }

    /// A new generation: this vCPU is current (it invalidated every page it changed), the
    /// vCPUs in application code are interrupted; with `waiting`, until they flushed.
    private static func shootdown(waiting: Bool) -> UInt64 {
        let generation = generationWord.pointee &+ 1
        generationWord.pointee = generation
        CPULocal.tlbSeen = generation
        let targets = Scheduler.cpusInApplication(except: CPULocal.index)
        if targets != 0 {
            Hypercall.kick(cpus: targets)
            if waiting { waitForFlush(of: generation) }
        }
        return generation
    }

    private static func waitForFlush(of generation: UInt64) {
        while !everyoneFlushed(generation) { CPU.pause() }
    }
}

@_extern(c, "uk_tlb_generation_address") func uk_tlb_generation_address() -> UInt64
@_extern(c, "uk_flush_tlb") func uk_flush_tlb()
