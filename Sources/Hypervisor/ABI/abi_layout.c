/* Pins the shared layouts: a change to unikernel_abi.h that moves a field
   fails to compile here instead of silently desynchronising host and guest. */
#include <stddef.h>
#include "unikernel_abi.h"

_Static_assert(sizeof(uk_segment) == 32, "uk_segment layout");
_Static_assert(offsetof(uk_boot_info, flags) == 16, "uk_boot_info.flags");
_Static_assert(offsetof(uk_boot_info, app_entry) == 72, "uk_boot_info.app_entry");
_Static_assert(offsetof(uk_boot_info, args_phys) == 144, "uk_boot_info.args_phys");
_Static_assert(offsetof(uk_boot_info, random) == 168, "uk_boot_info.random");
_Static_assert(sizeof(uk_boot_info) == 368, "uk_boot_info size");
_Static_assert(sizeof(uk_boot_info) <= UK_PAGE_SIZE, "boot info fits its page");
_Static_assert(sizeof(uk_hc_io) == 40, "uk_hc_io layout");
_Static_assert(sizeof(uk_hc_open) == 32, "uk_hc_open layout");
_Static_assert(sizeof(uk_hc_user_io) == 48, "uk_hc_user_io layout");
_Static_assert(sizeof(uk_hc_path) == 80, "uk_hc_path layout");
_Static_assert(sizeof(uk_hc_file) == 40, "uk_hc_file layout");
_Static_assert(sizeof(uk_registers) == 26 * 8, "uk_registers layout");
_Static_assert(sizeof(uk_hc_crash) == 16 + 26 * 8, "uk_hc_crash layout");
_Static_assert(sizeof(uk_hc_trace) == 64, "uk_hc_trace layout");
_Static_assert(UK_CPU_IST_OFFSET + UK_IST_COUNT * UK_IST_STACK_SIZE == UK_CPU_LOCAL_OFFSET, "cpu area: IST stacks");
_Static_assert(UK_CPU_PT_OFFSET + UK_PAGE_SIZE == UK_CPU_TABLES_SIZE, "cpu area size");
_Static_assert(sizeof(uk_cpu_local_header) == 56, "uk_cpu_local_header layout (registers.inc CPU_INDEX, CPU_LOCAL_PHYS)");
_Static_assert(sizeof(uk_hc_start_cpu) == 40, "uk_hc_start_cpu layout");
_Static_assert(sizeof(uk_hc_kick) == 16, "uk_hc_kick layout");
_Static_assert(UK_CPU_LOCAL_VIRT + 0x200000ULL == UK_HYPERCALL_VIRT, "the CPU-local page's PD entry sits below the hypercall page's");

_Static_assert(sizeof(uk_boot_info) <= 0xF00, "uk_boot_info must end before UK_PENDING_WRITE_PHYS");
_Static_assert(sizeof(uk_pending_write) == 24, "uk_pending_write layout");
_Static_assert(sizeof(uk_sendfile) == 16, "uk_sendfile layout");
_Static_assert(sizeof(uk_fallocate) == 24, "uk_fallocate layout");
_Static_assert(sizeof(uk_copy_range) == 24, "uk_copy_range layout");
_Static_assert(sizeof(uk_syscall_frame) == 20 * 8, "uk_syscall_frame layout (syscall.S push order)");
_Static_assert(sizeof(uk_syscall_in_progress) == 8, "uk_syscall_in_progress layout");
_Static_assert(UK_BOOT_INFO_PHYS + sizeof(uk_boot_info) <= UK_SYSCALL_IN_PROGRESS_PHYS,
               "uk_syscall_in_progress must start after uk_boot_info");
_Static_assert(UK_SYSCALL_IN_PROGRESS_PHYS + sizeof(uk_syscall_in_progress) <= UK_PENDING_WRITE_PHYS,
               "uk_syscall_in_progress must end before uk_pending_write");

/* Boot flags are distinct bits: their sum equals their union only then. */
#define UK_BOOT_FLAG_SUM (UK_BOOT_TRACE_SYSCALLS + UK_BOOT_NO_ASLR + UK_BOOT_CPU_PREPARED + UK_BOOT_NO_SYSCALL_PATCHING + UK_BOOT_KERNEL_PRIVILEGED \
                          + UK_BOOT_FAULT_MISALIGN_RSP + UK_BOOT_FAULT_NO_SSE + UK_BOOT_FAULT_NO_FS_BASE + UK_BOOT_FAULT_KERNEL_TRAP)
#define UK_BOOT_FLAG_UNION (UK_BOOT_TRACE_SYSCALLS | UK_BOOT_NO_ASLR | UK_BOOT_CPU_PREPARED | UK_BOOT_NO_SYSCALL_PATCHING | UK_BOOT_KERNEL_PRIVILEGED \
                            | UK_BOOT_FAULT_MISALIGN_RSP | UK_BOOT_FAULT_NO_SSE | UK_BOOT_FAULT_NO_FS_BASE | UK_BOOT_FAULT_KERNEL_TRAP)
_Static_assert(UK_BOOT_FLAG_SUM == UK_BOOT_FLAG_UNION, "uk_boot_info.flags bits overlap");
_Static_assert(sizeof(uk_hc_idle) == 16, "uk_hc_idle layout");
_Static_assert(sizeof(uk_hc_timer) == 16, "uk_hc_timer layout");
_Static_assert(UK_TIMER_VECTOR == 32, "the tick's stub follows the 32 exception stubs (exceptions.S)");
