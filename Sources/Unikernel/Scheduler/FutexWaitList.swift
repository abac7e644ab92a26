/// The bookkeeping of futex waits, free of kernel dependencies so that it is unit-tested on
/// the host (Tests/KernelLogicTests): waiters keyed by the virtual address of their 32-bit
/// word, each with the bitset it waits for, woken oldest first; waiters of a
/// priority-inheritance lock (FUTEX_LOCK_PI) are kept apart from plain waits on the same word.
struct FutexWaitList<Owner: AnyObject> {
    struct Waiter {
        let owner: Owner
        var address: UInt64
        let bitset: UInt32
        let priorityInheritance: Bool
    }

    private(set) var waiters: [Waiter] = []

    init() {}

    mutating func add(_ owner: Owner, address: UInt64, bitset: UInt32 = UInt32.max, priorityInheritance: Bool = false) {
        waiters.append(Waiter(owner: owner, address: address, bitset: bitset, priorityInheritance: priorityInheritance))
    }

    /// Removes up to `count` plain waiters on `address` whose bitset shares a bit with
    /// `bitset`, oldest first, and returns them.
    mutating func take(address: UInt64, count: Int, bitset: UInt32 = UInt32.max) -> [Owner] {
        var taken: [Owner] = []
        var index = 0
        while index < waiters.count, taken.count < count {
            let waiter = waiters[index]
            if waiter.address == address, waiter.bitset & bitset != 0, !waiter.priorityInheritance {
                waiters.remove(at: index)
                taken.append(waiter.owner)
            } else {
                index += 1
            }
        }
        return taken
    }

    /// Moves up to `count` plain waiters on `address` (oldest first) to `target`; returns how many.
    mutating func requeue(from address: UInt64, to target: UInt64, count: Int) -> Int {
        var moved = 0
        for index in waiters.indices where moved < count && waiters[index].address == address
            && !waiters[index].priorityInheritance {
            waiters[index].address = target
            moved += 1
        }
        return moved
    }

    /// Removes `owner`'s oldest entry; true when it had one (it was not woken).
    @discardableResult
    mutating func remove(_ owner: Owner) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.owner === owner }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Removes `owner`'s entry on `address`; true when it had one.
    mutating func remove(_ owner: Owner, address: UInt64) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.owner === owner && $0.address == address }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Removes and returns the oldest priority-inheritance waiter on `address`.
    mutating func takePriorityInheritanceWaiter(address: UInt64) -> Owner? {
        guard let index = waiters.firstIndex(where: { $0.address == address && $0.priorityInheritance }) else { return nil }
        return waiters.remove(at: index).owner
    }

    func hasPriorityInheritanceWaiters(address: UInt64) -> Bool {
        waiters.contains { $0.address == address && $0.priorityInheritance }
    }
}

/// FUTEX_WAKE_OP's encoded operation (Linux's futex_atomic_op_inuser): the operation applied
/// to the second word, and the comparison of its old value that decides whether its waiters
/// are woken too. Pure arithmetic, unit-tested on the host.
struct FutexWakeOperation: Equatable {
    /// FUTEX_OP_SET, ADD, OR, ANDN, XOR.
    let operation: UInt32
    /// FUTEX_OP_CMP_EQ, NE, LT, LE, GT, GE.
    let comparison: UInt32
    let operand: Int32
    let comparand: Int32

    /// Decodes `encoded` as Linux does: 12-bit signed operand and comparand, the operand a
    /// shift count (taken modulo 32) with FUTEX_OP_OPARG_SHIFT; ENOSYS for an unknown
    /// operation (an unknown comparison is ENOSYS too, but only after the operation ran).
    init(encoded: UInt32) throws(Errno) {
        operation = (encoded >> 28) & 0x7
        comparison = (encoded >> 24) & 0xF
        var operand = FutexWakeOperation.signExtend12((encoded >> 12) & 0xFFF)
        comparand = FutexWakeOperation.signExtend12(encoded & 0xFFF)
        if (encoded >> 28) & 0x8 != 0 { operand = Int32(bitPattern: UInt32(1) << UInt32(operand & 31)) }
        self.operand = operand
        guard operation <= 4 else { throw .ENOSYS }
    }

    private static func signExtend12(_ value: UInt32) -> Int32 {
        Int32(bitPattern: value << 20) >> 20
    }

    /// The second word's new value.
    func apply(to old: UInt32) -> UInt32 {
        let argument = UInt32(bitPattern: operand)
        switch operation {
        case 0: return argument
        case 1: return old &+ argument
        case 2: return old | argument
        case 3: return old & ~argument
        default: return old ^ argument
        }
    }

    /// Whether the second word's waiters are woken, given its old value; nil for an unknown comparison.
    func holds(for old: UInt32) -> Bool? {
        let value = Int32(bitPattern: old)
        switch comparison {
        case 0: return value == comparand
        case 1: return value != comparand
        case 2: return value < comparand
        case 3: return value <= comparand
        case 4: return value > comparand
        case 5: return value >= comparand
        default: return nil
        }
    }
}
