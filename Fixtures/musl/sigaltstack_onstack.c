// Checks that sigaltstack answers from where the caller runs, as Linux does from the caller's
// %rsp: outside any handler old.ss_flags is 0 (also when installed with SS_ONSTACK); in an
// SA_ONSTACK handler, which runs on the alternate stack, it is SS_ONSTACK with the same sp and
// size, and changing, re-setting or disabling the stack fails with EPERM without writing
// old_ss; a nested SA_ONSTACK handler stays on it and sees SS_ONSTACK too. Each handler's
// uc_stack holds the flags the stack was installed with (SS_ONSTACK, then 0), not where the
// code ran. rt_sigreturn re-applies uc_stack: what a handler off the alternate stack changed is
// undone, a uc_stack the handler edited becomes the stack, and a nested handler's edit is
// refused (its return lands on the alternate stack). A handler without SA_ONSTACK runs on the
// normal stack, sees 0 and may change the stack; once disabled, an SA_ONSTACK handler runs on
// the normal stack and sees SS_DISABLE. All calls are raw syscalls (musl's wrapper refuses
// SS_ONSTACK itself).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define ALT_SIZE 65536
static char alt[ALT_SIZE] __attribute__((aligned(16)));
static char other[ALT_SIZE] __attribute__((aligned(16)));

struct report {
    int on_alt;              // a local of the handler lies on the alternate stack
    int after_nested_same_sp; // the alternate stack after a nested handler edited its uc_stack
    long query;              // sigaltstack(NULL, &old)
    int flags, same_sp, same_size;
    int uc_flags;            // the ucontext's uc_stack.ss_flags (where the interrupted code ran)
    long change, change_errno, change_old_untouched;
    long same_again, same_again_errno;
    long disable, disable_errno;
};

static struct report usr1, usr2, urg, disabled;
static volatile int depth;

static int on_alt(const void *p) {
    return (uintptr_t)p >= (uintptr_t)alt && (uintptr_t)p < (uintptr_t)alt + ALT_SIZE;
}

static long altstack(const stack_t *ss, stack_t *old) { return syscall(SYS_sigaltstack, ss, old); }

static void query(struct report *r, void *context) {
    volatile char probe = 0;
    r->on_alt = on_alt((const void *)&probe);
    stack_t old;
    memset(&old, 0x5a, sizeof old);
    r->query = altstack(NULL, &old);
    r->flags = old.ss_flags;
    r->same_sp = old.ss_sp == alt;
    r->same_size = old.ss_size == ALT_SIZE;
    r->uc_flags = ((ucontext_t *)context)->uc_stack.ss_flags;
}

// Tries to move the alternate stack elsewhere, to set it again unchanged, and to disable it.
static void try_changes(struct report *r) {
    stack_t to_other = {.ss_sp = other, .ss_flags = 0, .ss_size = ALT_SIZE};
    stack_t old;
    memset(&old, 0x5a, sizeof old);
    errno = 0;
    r->change = altstack(&to_other, &old);
    r->change_errno = errno;
    unsigned char *bytes = (unsigned char *)&old;
    r->change_old_untouched = 1;
    for (size_t i = 0; i < sizeof old; i++) r->change_old_untouched &= bytes[i] == 0x5a;
    stack_t same = {.ss_sp = alt, .ss_flags = 0, .ss_size = ALT_SIZE};
    errno = 0;
    r->same_again = altstack(&same, NULL);
    r->same_again_errno = errno;
    stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
    errno = 0;
    r->disable = altstack(&off, NULL);
    r->disable_errno = errno;
}

static void on_usr2(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)info;
    query(&usr2, context);
    // Returning to code on the alternate stack: rt_sigreturn must not apply this.
    ((ucontext_t *)context)->uc_stack.ss_sp = other;
}

static void on_usr1(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)info;
    query(&usr1, context);
    try_changes(&usr1);
    raise(SIGUSR2);  // nested, SA_ONSTACK too: stays on the alternate stack
    stack_t old;
    altstack(NULL, &old);
    usr1.after_nested_same_sp = old.ss_sp == alt;
}

static void on_hup(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)info;
    ((ucontext_t *)context)->uc_stack.ss_sp = other;  // applied by rt_sigreturn
}

static void on_urg(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)info;
    query(&urg, context);
    try_changes(&urg);  // allowed here: the handler is not on the alternate stack
}

static void on_disabled(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)info;
    volatile char probe = 0;
    disabled.on_alt = on_alt((const void *)&probe);
    stack_t old;
    disabled.query = altstack(NULL, &old);
    disabled.flags = old.ss_flags;
    disabled.uc_flags = ((ucontext_t *)context)->uc_stack.ss_flags;
}

static const char *flag_name(int flags) {
    switch (flags) {
    case 0: return "0";
    case SS_ONSTACK: return "SS_ONSTACK";
    case SS_DISABLE: return "SS_DISABLE";
    default: return "other";
    }
}

static const char *errno_name(long e) {
    switch (e) {
    case 0: return "none";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static void print_query(const char *label, const struct report *r) {
    printf("%s: on the alternate stack %d; query %ld, flags %s, same sp %d, same size %d; uc_stack flags %s\n",
           label, r->on_alt, r->query, flag_name(r->flags), r->same_sp, r->same_size, flag_name(r->uc_flags));
}

static void print_changes(const char *label, const struct report *r) {
    printf("%s: change %ld (%s), old_ss untouched %ld; set again unchanged %ld (%s); disable %ld (%s)\n", label,
           r->change, errno_name(r->change_errno), r->change_old_untouched, r->same_again,
           errno_name(r->same_again_errno), r->disable, errno_name(r->disable_errno));
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void print_outside(const char *label) {
    stack_t old;
    long r = altstack(NULL, &old);
    printf("%s: query %ld, flags %s, sp %s, same size %d\n", label, r, flag_name(old.ss_flags),
           old.ss_sp == alt ? "alt" : old.ss_sp == other ? "other" : old.ss_sp == NULL ? "NULL" : "elsewhere",
           old.ss_size == ALT_SIZE);
}

// Raises SIGUSR1 (SA_ONSTACK) whose handler raises SIGUSR2 (SA_ONSTACK) and prints what both saw.
static void nested_round(const char *installed) {
    memset(&usr1, 0, sizeof usr1);
    memset(&usr2, 0, sizeof usr2);
    raise(SIGUSR1);
    printf("installed with %s:\n", installed);
    print_query("  SA_ONSTACK handler", &usr1);
    print_changes("  SA_ONSTACK handler", &usr1);
    print_query("  nested SA_ONSTACK handler", &usr2);
    printf("  after the nested handler edited its uc_stack: still the same sp %d\n", usr1.after_nested_same_sp);
    print_outside("  after the handlers");
}

int main(void) {
    stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = ALT_SIZE};
    printf("install: %ld\n", altstack(&ss, NULL));
    print_outside("outside");
    ss.ss_flags = SS_ONSTACK;
    printf("install with SS_ONSTACK: %ld\n", altstack(&ss, NULL));
    print_outside("outside");

    install(SIGUSR1, on_usr1, SA_ONSTACK);
    install(SIGUSR2, on_usr2, SA_ONSTACK);
    nested_round("SS_ONSTACK");
    ss.ss_flags = 0;
    altstack(&ss, NULL);
    nested_round("0");

    install(SIGURG, on_urg, 0);
    raise(SIGURG);
    print_query("handler without SA_ONSTACK", &urg);
    print_changes("handler without SA_ONSTACK", &urg);
    print_outside("after it (rt_sigreturn restored uc_stack)");

    install(SIGHUP, on_hup, 0);
    raise(SIGHUP);
    print_outside("after a handler set uc_stack.ss_sp to the other stack");

    stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
    printf("disable: %ld\n", altstack(&off, NULL));
    print_outside("disabled");
    install(SIGUSR1, on_disabled, SA_ONSTACK);
    raise(SIGUSR1);
    printf("SA_ONSTACK handler, stack disabled: on the alternate stack %d; query %ld, flags %s; uc_stack flags %s\n",
           disabled.on_alt, disabled.query, flag_name(disabled.flags), flag_name(disabled.uc_flags));
    return 0;
}
