/// A pipe's buffer, shared by its read and write ends, served entirely in the
/// guest. With one thread nothing can drain or fill it while a call waits, so
/// reads of an empty pipe with writers and writes to a full pipe fail with
/// EAGAIN instead of blocking forever.
final class PipeBuffer {
    static let capacity = 65536
    var bytes: [UInt8] = []
    var readers = 1
    var writers = 1
}

/// An eventfd counter (eventfd2), served in the guest.
final class EventCounter {
    var value: UInt64
    let semaphore: Bool

    init(value: UInt64, semaphore: Bool) {
        self.value = value
        self.semaphore = semaphore
    }
}

/// What a descriptor refers to when it is not a host file.
enum GuestObject {
    case pipeReader(PipeBuffer)
    case pipeWriter(PipeBuffer)
    case eventCounter(EventCounter)
}
