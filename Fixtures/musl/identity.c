// Checks the identity and limit syscalls, each called by number, printing only facts that
// hold on any Linux machine: getpid == gettid == set_tid_address's result, getppid succeeds;
// getuid/geteuid/getgid/getegid agree with getresuid/getresgid; getgroups' count matches its
// filled buffer; uname's sysname and machine; sysinfo succeeds with totalram > 0; getrlimit,
// setrlimit and prlimit64 (lowering RLIMIT_NOFILE's soft limit is read back, soft above hard
// is EINVAL); sched_getaffinity has a CPU, sched_yield succeeds; getcpu succeeds; getrandom
// fills the buffer (EINVAL for unknown flags); prctl PR_SET_NAME/PR_GET_NAME round-trips (EINVAL
// for an unknown option); set_robust_list accepts its header (size checks: set_robust_list_size).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

int main(void) {
    long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);
    int tid_word;
    long set_tid = syscall(SYS_set_tid_address, &tid_word);
    printf("getpid > 0: %d, gettid == getpid: %d, set_tid_address == tid: %d\n", pid > 0, tid == pid, set_tid == tid);
    printf("getppid succeeds: %d\n", syscall(SYS_getppid) >= 0);

    unsigned ruid[3], rgid[3];
    long uid = syscall(SYS_getuid), euid = syscall(SYS_geteuid), gid = syscall(SYS_getgid), egid = syscall(SYS_getegid);
    SHOW("getresuid", syscall(SYS_getresuid, &ruid[0], &ruid[1], &ruid[2]));
    SHOW("getresgid", syscall(SYS_getresgid, &rgid[0], &rgid[1], &rgid[2]));
    printf("  uid matches %d, euid matches %d, saved uid == euid %d\n", ruid[0] == uid, ruid[1] == euid, ruid[2] == euid);
    printf("  gid matches %d, egid matches %d, saved gid == egid %d\n", rgid[0] == gid, rgid[1] == egid, rgid[2] == egid);
    long groups = syscall(SYS_getgroups, 0, NULL);
    unsigned list[256];
    long filled = syscall(SYS_getgroups, 256, list);
    printf("getgroups: count >= 0 %d, filled == count %d\n", groups >= 0, filled == groups);
    if (groups > 0) SHOW("getgroups too small", syscall(SYS_getgroups, groups - 1, list));

    struct utsname u;
    SHOW("uname", syscall(SYS_uname, &u));
    printf("  sysname %s, machine %s\n", u.sysname, u.machine);
    struct sysinfo info;
    memset(&info, 0, sizeof info);
    SHOW("sysinfo", syscall(SYS_sysinfo, &info));
    printf("  totalram > 0: %d, freeram <= totalram: %d, procs > 0: %d\n", info.totalram > 0,
           info.freeram <= info.totalram, info.procs > 0);

    struct rlimit limit, old;
    SHOW("getrlimit NOFILE", syscall(SYS_getrlimit, RLIMIT_NOFILE, &limit));
    printf("  soft <= hard: %d, soft >= 64: %d\n", limit.rlim_cur <= limit.rlim_max, limit.rlim_cur >= 64);
    struct rlimit lower = {64, limit.rlim_max};
    SHOW("setrlimit NOFILE soft 64", syscall(SYS_setrlimit, RLIMIT_NOFILE, &lower));
    SHOW("getrlimit NOFILE", syscall(SYS_getrlimit, RLIMIT_NOFILE, &limit));
    printf("  soft now %llu\n", (unsigned long long)limit.rlim_cur);
    struct rlimit inverted = {limit.rlim_max, 1};
    SHOW("setrlimit soft above hard", syscall(SYS_setrlimit, RLIMIT_NOFILE, &inverted));
    struct rlimit back = {128, limit.rlim_max};
    SHOW("prlimit64 set 128, get old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &back, &old));
    printf("  old soft %llu\n", (unsigned long long)old.rlim_cur);
    SHOW("prlimit64 get", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old));
    printf("  soft now %llu\n", (unsigned long long)old.rlim_cur);
    SHOW("prlimit64 own pid", syscall(SYS_prlimit64, pid, RLIMIT_STACK, NULL, &old));
    printf("  stack soft <= hard: %d\n", old.rlim_cur <= old.rlim_max);
    SHOW("getrlimit bad resource", syscall(SYS_getrlimit, 999, &limit));
    SHOW("prlimit64 bad resource", syscall(SYS_prlimit64, 0, 999, NULL, &old));

    cpu_set_t set;
    CPU_ZERO(&set);
    long size = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    printf("sched_getaffinity: size > 0 %d, a multiple of 8 %d, CPUs >= 1 %d\n", size > 0, size % 8 == 0, CPU_COUNT(&set) >= 1);
    SHOW("sched_getaffinity tiny buffer", syscall(SYS_sched_getaffinity, 0, 1, &set));
    SHOW("sched_yield", syscall(SYS_sched_yield));
    unsigned cpu = 99999, node = 99999;
    SHOW("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    printf("  cpu in affinity set: %d, node < 1024: %d\n", !!CPU_ISSET(cpu, &set), node < 1024);

    unsigned char random[64];
    memset(random, 0, sizeof random);
    SHOW("getrandom 64", syscall(SYS_getrandom, random, sizeof random, 0));
    int nonzero = 0;
    for (unsigned i = 0; i < sizeof random; i++) nonzero += random[i] != 0;
    printf("  some bytes nonzero: %d\n", nonzero > 0);
    SHOW("getrandom GRND_NONBLOCK 16", syscall(SYS_getrandom, random, 16, 1));
    SHOW("getrandom bad flags", syscall(SYS_getrandom, random, 16, 0x100));

    char task_name[32] = {0};
    SHOW("prctl PR_SET_NAME", syscall(SYS_prctl, PR_SET_NAME, "conformance-name-too-long", 0, 0, 0));
    SHOW("prctl PR_GET_NAME", syscall(SYS_prctl, PR_GET_NAME, task_name, 0, 0, 0));
    printf("  name [%s]\n", task_name);
    SHOW("prctl unknown option", syscall(SYS_prctl, 0x7fff1234, 0, 0, 0, 0));

    struct { void *next; long offset; void *pending; } head = {&head, 0, NULL};
    SHOW("set_robust_list", syscall(SYS_set_robust_list, &head, sizeof head));
    return 0;
}
