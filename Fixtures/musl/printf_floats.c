// Checks printf of floating point: %f %e %g %a, precision, width, signs, infinities and
// NaN, and float-to-string of values computed at run time (SSE registers passed in %xmm).
// conformance-libcs: musl glibc
#include <math.h>
#include <stdio.h>

int main(void) {
    volatile double third = 1.0 / 3.0;
    double values[] = {0.0, -0.0, 1.0, 0.5, third, 3.141592653589793, -2.5e-10, 6.02214076e23,
                       1e308, 5e-324, 123456789.125};
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        double v = values[i];
        printf("%f|%e|%g|%a|%.3f|%12.4e|%-10.2g|%+.0f\n", v, v, v, v, v, v, v, v);
    }
    printf("%f %f %f\n", (double)INFINITY, -(double)INFINITY, fabs((double)NAN));
    float f = 0.1f;
    printf("%.10f %.17g %Lf\n", f, (double)f, (long double)third);
    double sum = 0;
    for (int i = 1; i <= 100; i++) sum += 1.0 / i;
    printf("harmonic(100) = %.15f\n", sum);
    return 0;
}
