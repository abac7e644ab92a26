/// The privilege level the application runs at.
///
/// The design runs the application at CPL0: SYSCALL changes no privilege,
/// the entry stub returns with popfq + `jmp *%rcx`, exceptions use IST
/// stacks. `userMode = true` selects an alternative CPL3 path (GDT user
/// segments 0x1B/0x23, iretq entry, SYSRETQ return, U bit on application
/// pages) written for hosts whose KVM is the PVM flavour (`kvm_pvm`, as on
/// the development machine): there, guest code at CPL0 outside PVM's kernel
/// range is run by KVM's instruction emulator, which cannot emulate SSE/x87
/// memory operands (stmxcsr, movaps, fldcw end the VM with "KVM internal
/// error, suberror 1"). The CPL3 path is NOT working yet: on PVM a SYSCALL
/// from CPL3 reaches LSTAR still at CPL3 (#PF on the supervisor-only kernel
/// text), and it is untested on hardware KVM.
enum ApplicationMode {
    static let userMode = false
}
