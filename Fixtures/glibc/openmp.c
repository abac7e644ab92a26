// Checks OpenMP (gcc -fopenmp, libgomp linked statically): a parallel region with
// num_threads(4) has 4 threads numbered 0-3 (dynamic adjustment off), a parallel for with a
// sum reduction, a static-schedule loop filling an array, critical sections and atomics
// counting from every thread, single and barrier, ordered iterations printed in order, and
// recursive tasks (Fibonacci with taskwait). Prints only results, never the host's CPU count.
// conformance-cflags: -fopenmp
#include <omp.h>
#include <stdio.h>

static long fib(int n) {
    if (n < 2) return n;
    long a, b;
#pragma omp task shared(a) if (n > 12)
    a = fib(n - 1);
#pragma omp task shared(b) if (n > 12)
    b = fib(n - 2);
#pragma omp taskwait
    return a + b;
}

int main(void) {
    omp_set_dynamic(0);
    int team = 0, seen[4] = {0}, bad_ids = 0;
    printf("outside a parallel region: %d thread(s), in parallel: %d\n", omp_get_num_threads(), omp_in_parallel());
#pragma omp parallel num_threads(4)
    {
        int id = omp_get_thread_num();
#pragma omp critical
        {
            if (id >= 0 && id < 4) seen[id]++;
            else bad_ids++;
        }
#pragma omp single
        team = omp_get_num_threads();
    }
    printf("num_threads(4): team of %d, thread numbers seen: %d %d %d %d, bad ids: %d\n", team, seen[0], seen[1],
           seen[2], seen[3], bad_ids);

    long sum = 0;
#pragma omp parallel for num_threads(4) reduction(+ : sum)
    for (int i = 1; i <= 100000; i++) sum += i;
    printf("parallel for reduction: %ld\n", sum);

    static int squares[1000];
#pragma omp parallel for num_threads(4) schedule(static)
    for (int i = 0; i < 1000; i++) squares[i] = i * i;
    long check = 0;
    for (int i = 0; i < 1000; i++) check += squares[i];
    printf("static schedule filled the array: sum of squares %ld\n", check);

    int critical_count = 0, atomic_count = 0, after_barrier = 0, bad_barrier = 0;
#pragma omp parallel num_threads(4)
    {
        for (int i = 0; i < 1000; i++) {
#pragma omp critical
            critical_count++;
#pragma omp atomic
            atomic_count++;
        }
#pragma omp barrier
#pragma omp critical
        {
            if (critical_count != 4000) bad_barrier++;
            after_barrier++;
        }
    }
    printf("critical: %d, atomic: %d, threads past the barrier: %d, saw an unfinished count: %d\n", critical_count,
           atomic_count, after_barrier, bad_barrier);

    printf("ordered:");
#pragma omp parallel for ordered num_threads(4) schedule(dynamic, 1)
    for (int i = 0; i < 12; i++) {
#pragma omp ordered
        printf(" %d", i);
    }
    printf("\n");

    long result = 0;
#pragma omp parallel num_threads(4)
#pragma omp single
    result = fib(22);
    printf("tasks: fib(22) = %ld\n", result);

    double dot = 0;
    static double x[4096], y[4096];
    for (int i = 0; i < 4096; i++) { x[i] = i * 0.5; y[i] = 2.0; }
#pragma omp parallel for num_threads(4) reduction(+ : dot)
    for (int i = 0; i < 4096; i++) dot += x[i] * y[i];
    printf("dot product: %.1f\n", dot);
    return 0;
}
