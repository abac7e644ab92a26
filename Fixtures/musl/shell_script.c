// Checks a real shell running in the working directory: the placed busybox (./busybox, the same
// binary natively and in the guest) is exec'd as `busybox sh -c SCRIPT` and its script uses
// command substitution, a three-stage pipeline of busybox applets (seq 1 20000 | grep 7 |
// wc -l), a background job whose status `wait $!` returns, `wait` for two more, a loop with
// arithmetic, `if`, variables and ${#v}, a redirection into a file read back with cat, and
// finally `exec ./exec_target 6 x`, so the shell's process becomes the placed exec_target and the
// parent gets its status 6. A script starting with #!/bin/sh (natively the host's dash, in the
// guest the busybox placed as /bin/sh) is exec'd directly with arguments and its status seen.
// Applets are always named by path (./busybox NAME), never found through PATH. busybox ash
// opens /dev/null as a background job's stdin (without it the job fails with status 2): the
// guest's /dev offers it as Linux's does.
// conformance-libcs: musl glibc
// conformance-programs: /bin/busybox=bin/sh /bin/busybox=busybox exec_target
// conformance-timeout: 60
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char script[] =
    "x=$(./busybox echo hello)\n"
    "echo \"substitution: $x\"\n"
    "n=$(./busybox seq 1 20000 | ./busybox grep 7 | ./busybox wc -l)\n"
    "echo \"numbers up to 20000 with a 7: $n\"\n"
    "(exit 5) &\n"
    "wait $!\n"
    "echo \"background job status: $?\"\n"
    "./busybox sleep 0 &\n"
    "./busybox true &\n"
    "wait\n"
    "echo \"all background jobs done: $?\"\n"
    "count=0\n"
    "for word in one two three; do count=$((count + 1)); done\n"
    "if [ \"$count\" -eq 3 ]; then echo \"if: three words\"; else echo \"if: $count words\"; fi\n"
    "v='spaced  value'\n"
    "echo \"variable: [$v] of length ${#v}\"\n"
    "echo 'written by the shell' > shell_out.txt\n"
    "./busybox cat shell_out.txt\n"
    "exec ./exec_target 6 x\n"
    "echo 'not reached'\n";

/* Waits at most twenty seconds for `pid`; a child still running then is killed. */
static void wait_and_report(const char *label, pid_t pid) {
    int status = 0;
    for (int i = 0; i < 20000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) printf("%s: exited %d\n", label, WEXITSTATUS(status));
            else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", label, WTERMSIG(status));
            else printf("%s: status 0x%x\n", label, status);
            return;
        }
        if (r < 0 && errno != EINTR) {
            printf("%s: waitpid failed\n", label);
            return;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("%s: did not finish within 20 s: killed\n", label);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

int main(void) {
    for (int fd = 3; fd < 64; fd++) close(fd);

    printf("--- busybox sh -c SCRIPT\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"busybox", "sh", "-c", (char *)script, NULL};
        execv("./busybox", argv);
        printf("execv ./busybox failed: errno %d\n", errno);
        fflush(stdout);
        _exit(99);
    }
    wait_and_report("the shell", pid);

    printf("--- a #!/bin/sh script\n");
    const char text[] = "#!/bin/sh\necho \"script got $# arguments: $1, $2\"\nexit 4\n";
    int fd = open("script.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) printf("cannot write script.sh\n");
    if (fd >= 0) close(fd);
    chmod("script.sh", 0755);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv[] = {"script.sh", "one", "two words", NULL};
        char *envp[] = {NULL};
        execve("./script.sh", argv, envp);
        printf("execve ./script.sh failed: errno %d\n", errno);
        fflush(stdout);
        _exit(99);
    }
    wait_and_report("the script", pid);
    printf("done\n");
    return 0;
}
