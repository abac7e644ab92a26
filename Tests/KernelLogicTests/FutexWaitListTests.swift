import Testing
@testable import KernelLogic

/// A stand-in for a kernel task: the wait list only compares identities.
private final class Waiter {
    let name: String
    init(_ name: String) { self.name = name }
}

@Suite("Futex wait lists")
struct FutexWaitListTests {
    @Test("a wake takes waiters on the address oldest first, at most the count")
    func wakeOrderAndCount() {
        var list = FutexWaitList<Waiter>()
        let a = Waiter("a"), b = Waiter("b"), c = Waiter("c"), other = Waiter("other")
        list.add(a, address: 0x1000)
        list.add(other, address: 0x2000)
        list.add(b, address: 0x1000)
        list.add(c, address: 0x1000)
        let first = list.take(address: 0x1000, count: 2), rest = list.take(address: 0x1000, count: 5)
        let none = list.take(address: 0x1000, count: 1)
        #expect(first.map(\.name) == ["a", "b"] && rest.map(\.name) == ["c"] && none.isEmpty)
        #expect(list.waiters.map(\.owner.name) == ["other"])
    }

    @Test("bitsets: FUTEX_WAKE_BITSET wakes only waiters sharing a bit")
    func bitsets() {
        var list = FutexWaitList<Waiter>()
        let low = Waiter("low"), high = Waiter("high"), any = Waiter("any")
        list.add(low, address: 8, bitset: 0x1)
        list.add(high, address: 8, bitset: 0x2)
        list.add(any, address: 8)
        let second = list.take(address: 8, count: 10, bitset: 0x2), third = list.take(address: 8, count: 10, bitset: 0x4)
        let first = list.take(address: 8, count: 10, bitset: 0x1)
        #expect(second.map(\.name) == ["high", "any"] && third.isEmpty && first.map(\.name) == ["low"])
    }

    @Test("requeue moves the oldest waiters left after the wake to the target")
    func requeue() {
        var list = FutexWaitList<Waiter>()
        let waiters = (0..<5).map { Waiter("w\($0)") }
        for waiter in waiters { list.add(waiter, address: 0x10) }
        let woken = list.take(address: 0x10, count: 1)
        let moved = list.requeue(from: 0x10, to: 0x20, count: 3)
        let atTarget = list.take(address: 0x20, count: 10), left = list.take(address: 0x10, count: 10)
        #expect(woken.map(\.name) == ["w0"] && moved == 3)
        #expect(atTarget.map(\.name) == ["w1", "w2", "w3"] && left.map(\.name) == ["w4"])
    }

    @Test("a waiter that leaves by itself (timeout, signal) is still queued; a woken one is not")
    func removal() {
        var list = FutexWaitList<Waiter>()
        let a = Waiter("a"), b = Waiter("b")
        list.add(a, address: 4)
        list.add(b, address: 4)
        _ = list.take(address: 4, count: 1)
        let wokenStillQueued = list.remove(a), leftStillQueued = list.remove(b)
        #expect(!wokenStillQueued && leftStillQueued)
        #expect(list.waiters.isEmpty)
    }

    @Test("futex_waitv: one waiter on several words; the woken word is the one gone")
    func severalWords() {
        var list = FutexWaitList<Waiter>()
        let a = Waiter("a")
        for address: UInt64 in [0x100, 0x200, 0x300] { list.add(a, address: address) }
        let taken = list.take(address: 0x200, count: 1)
        #expect(taken.map(\.name) == ["a"])
        let first = list.remove(a, address: 0x100), woken = list.remove(a, address: 0x200), third = list.remove(a, address: 0x300)
        #expect(first && !woken && third)
    }

    @Test("priority-inheritance waiters are separate from plain waits on the same word")
    func priorityInheritance() {
        var list = FutexWaitList<Waiter>()
        let plain = Waiter("plain"), first = Waiter("first"), second = Waiter("second")
        list.add(plain, address: 64)
        list.add(first, address: 64, priorityInheritance: true)
        list.add(second, address: 64, priorityInheritance: true)
        let plainWoken = list.take(address: 64, count: 10)
        let moved = list.requeue(from: 64, to: 128, count: 10)
        #expect(plainWoken.map(\.name) == ["plain"] && moved == 0)
        #expect(list.hasPriorityInheritanceWaiters(address: 64))
        let owner1 = list.takePriorityInheritanceWaiter(address: 64), owner2 = list.takePriorityInheritanceWaiter(address: 64)
        #expect(owner1?.name == "first" && owner2?.name == "second")
        #expect(!list.hasPriorityInheritanceWaiters(address: 64))
    }
}

@Suite("FUTEX_WAKE_OP operations")
struct FutexWakeOperationTests {
    /// FUTEX_OP(op, oparg, cmp, cmparg) as Linux's uapi header builds it.
    private func encode(_ op: UInt32, _ oparg: UInt32, _ cmp: UInt32, _ cmparg: UInt32) -> UInt32 {
        ((op & 0xF) << 28) | ((cmp & 0xF) << 24) | ((oparg & 0xFFF) << 12) | (cmparg & 0xFFF)
    }

    @Test("each operation and comparison, as glibc's pthread_cond_signal encodes them")
    func operations() throws {
        let add = try FutexWakeOperation(encoded: encode(1, 1, 4, 1))  // ADD 1, wake if old > 1
        #expect(add.apply(to: 5) == 6)
        #expect(add.holds(for: 5) == true)
        #expect(add.holds(for: 1) == false)
        #expect(try FutexWakeOperation(encoded: encode(0, 7, 0, 0)).apply(to: 3) == 7)          // SET
        #expect(try FutexWakeOperation(encoded: encode(2, 0x10, 1, 0)).apply(to: 1) == 0x11)    // OR
        #expect(try FutexWakeOperation(encoded: encode(3, 0x1, 2, 0)).apply(to: 0x3) == 0x2)    // ANDN
        #expect(try FutexWakeOperation(encoded: encode(4, 0xF, 5, 0)).apply(to: 0x5) == 0xA)    // XOR
    }

    @Test("operand and comparand are 12-bit signed; OPARG_SHIFT makes the operand a bit, modulo 32")
    func encodingDetails() throws {
        let negative = try FutexWakeOperation(encoded: encode(1, 0xFFF, 2, 0xFFF))  // ADD -1, wake if old < -1
        #expect(negative.apply(to: 10) == 9)
        #expect(negative.holds(for: UInt32(bitPattern: -2)) == true)
        #expect(negative.holds(for: 0) == false)
        let shift = try FutexWakeOperation(encoded: encode(8 | 2, 35, 0, 0))  // OR (1 << (35 & 31))
        #expect(shift.apply(to: 0) == 1 << 3)
    }

    @Test("an unknown operation is ENOSYS at once; an unknown comparison only after the operation")
    func unknown() throws {
        #expect(throws: Errno.ENOSYS) { try FutexWakeOperation(encoded: encode(5, 0, 0, 0)) }
        let badComparison = try FutexWakeOperation(encoded: encode(1, 1, 9, 0))
        #expect(badComparison.apply(to: 1) == 2)
        #expect(badComparison.holds(for: 1) == nil)
    }
}
