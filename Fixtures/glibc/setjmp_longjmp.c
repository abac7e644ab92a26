// Checks setjmp/longjmp and sigsetjmp/siglongjmp: a jump out of deep recursion, volatile
// locals surviving the jump, longjmp(env, 0) arriving as 1, nested jump buffers, and
// sigsetjmp(env, 1) restoring the blocked-signal mask saved with it.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static jmp_buf outer, inner;
static sigjmp_buf with_mask;
static int deepest;

static void recurse(int depth, int limit) {
    char frame[256];
    memset(frame, depth & 0xff, sizeof frame);
    deepest = depth;
    if (depth == limit) longjmp(outer, depth + frame[17]);
    recurse(depth + 1, limit);
    frame[0]++;  // keep the frame alive across the call
}

static void jump_with_zero(void) { longjmp(inner, 0); }

int main(void) {
    volatile int counter = 0;
    int value = setjmp(outer);
    counter++;
    if (value == 0) {
        recurse(0, 1000);
        printf("not reached\n");
    }
    printf("recursion: setjmp returned %d after depth %d, counter %d\n", value, deepest, counter);

    if ((value = setjmp(inner)) == 0) jump_with_zero();
    printf("longjmp(env, 0) arrives as %d\n", value);

    // Nested buffers: the inner jump leaves the outer one usable.
    volatile int stage = 0;
    if ((value = setjmp(outer)) == 0) {
        stage = 1;
        if (setjmp(inner) == 0) { stage = 2; longjmp(inner, 7); }
        stage = 3;
        longjmp(outer, 9);
    }
    printf("nested: outer got %d at stage %d\n", value, stage);

    // sigsetjmp with savemask: SIGUSR1 blocked after the save is unblocked by the jump.
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if ((value = sigsetjmp(with_mask, 1)) == 0) {
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sigprocmask(SIG_BLOCK, NULL, &now);
        printf("before siglongjmp: USR1 blocked %d, USR2 blocked %d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
        siglongjmp(with_mask, 5);
    }
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("after siglongjmp (%d): USR1 blocked %d, USR2 blocked %d\n", value, sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
    return 0;
}
