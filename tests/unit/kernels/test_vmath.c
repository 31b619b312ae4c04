/*
 * vmath (kernels/vmath.c, .h) against libm in double over dense sweeps:
 * erf, exp, the erf GELU and the softmax row pass, on a million points
 * each across the range the models reach and past it (saturation,
 * underflow, overflow to infinity), at lengths that leave a tail past the
 * last full vector. The hand-fitted AVX2 polynomials (erf, exp of y <= 0,
 * the GELU's piecewise normal tail) are only ever checked here and through
 * whole models.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "vmath.h"

/* Points per sweep; odd, so the last vector of every sweep is a partial one. */
#define SWEEP_POINTS 1000003

/*
 * Largest error allowed, in units of the float spacing at the reference
 * (the header promises 1.9 ulp for erf; exp and the GELU compose one more
 * rounding), and the magnitude below which a result counts as 0 (exp's
 * underflow).
 */
#define MAX_ULP   4.0
#define ABS_FLOOR 1e-30

/* |got - want| in units of the float spacing at want. */
static double ulp_error(float got, double want)
{
    double spacing;

    if (isinf((float)want))
        return (double)got == (double)(float)want ? 0.0 : INFINITY;
    if (fabs(want) < ABS_FLOOR)
        return fabs((double)got - want) < ABS_FLOOR ? 0.0 : INFINITY;
    spacing = ldexp(1.0, ilogb(want) - 23);
    return fabs((double)got - want) / spacing;
}

/* x[i] evenly from lo to hi (just hi when n is 1). */
static void sweep(float *x, int64_t n, double lo, double hi)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = n > 1 ? (float)(lo + (hi - lo) * (double)i / (double)(n - 1)) : (float)hi;
}

static double gelu_ref(double x)
{
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

typedef void (*vmath_fn)(const float *x, float *y, int64_t n);

/*
 * The GELU's bound: MAX_ULP at the result plus one float rounding of
 * (1 + erf) scaled by |x|, which no float evaluation of the formula
 * escapes (for x below -4, 1 + erf cancels to a few ulp of 1 or to 0).
 */
static void check_gelu(double lo, double hi, float *x, float *y)
{
    sweep(x, SWEEP_POINTS, lo, hi);
    vmath_gelu_f32(x, y, SWEEP_POINTS);
    for (int64_t i = 0; i < SWEEP_POINTS; i++) {
        double want = gelu_ref((double)x[i]);
        double bound = MAX_ULP * ldexp(1.0, ilogb(fmax(fabs(want), 1e-30)) - 23) +
                       ldexp(fabs((double)x[i]), -23);
        if (fabs((double)y[i] - want) > bound) {
            fprintf(stderr, "gelu at x = %.9g: got %.9g want %.9g\n", x[i], y[i], want);
            CHECK(false);
            return;
        }
    }
}

/* The worst ulp error of fn against ref over [lo, hi]; reports and fails past MAX_ULP. */
static void check_sweep(const char *what, vmath_fn fn, double (*ref)(double), double lo, double hi,
                        float *x, float *y)
{
    double worst = 0.0;
    float worst_x = 0.0f;

    sweep(x, SWEEP_POINTS, lo, hi);
    fn(x, y, SWEEP_POINTS);
    for (int64_t i = 0; i < SWEEP_POINTS; i++) {
        double e = ulp_error(y[i], ref((double)x[i]));
        if (e > worst) {
            worst = e;
            worst_x = x[i];
        }
    }
    if (worst > MAX_ULP) {
        fprintf(stderr, "%s on [%g, %g]: %.2f ulp at x = %.9g\n", what, lo, hi, worst, worst_x);
        CHECK(worst <= MAX_ULP);
    }
}

/*
 * The softmax row pass: every exp(x - max), x - max rounded to float as
 * the kernel must, within MAX_ULP, and the sum within a float's rounding.
 */
static void check_exp_shift_sum(float *x, float *y)
{
    const int64_t lengths[] = {1, 7, 8, 9, 128, 383, SWEEP_POINTS};

    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        int64_t n = lengths[k];
        double sum = 0.0;
        float max, got;
        sweep(x, n, -30.0, 12.0);
        max = vmath_max_f32(x, n);
        CHECK(max == x[n - 1]);
        got = vmath_exp_shift_sum_f32(x, y, n, max);
        for (int64_t i = 0; i < n; i++) {
            float shifted = x[i] - max;
            double want = exp((double)shifted);
            sum += want;
            if (ulp_error(y[i], want) > MAX_ULP) {
                fprintf(stderr, "exp shift at x = %.9g, max %.9g: got %.9g want %.9g\n", x[i], max,
                        y[i], want);
                CHECK(false);
                break;
            }
        }
        CHECK(fabs((double)got - sum) <= 1e-5 * sum);
    }
}

int main(void)
{
    float *x = malloc(SWEEP_POINTS * sizeof *x), *y = malloc(SWEEP_POINTS * sizeof *y);

    CHECK(x && y);
    if (!x || !y)
        return 1;
    check_sweep("erf", vmath_erf_f32, erf, -12.0, 12.0, x, y);
    check_sweep("erf near 0", vmath_erf_f32, erf, -1e-3, 1e-3, x, y);
    check_sweep("exp", vmath_exp_f32, exp, -110.0, 90.0, x, y);
    check_sweep("exp near 0", vmath_exp_f32, exp, -1e-3, 1e-3, x, y);
    check_gelu(-12.0, 12.0, x, y);
    check_gelu(-1e-3, 1e-3, x, y);
    check_exp_shift_sum(x, y);
    free(x);
    free(y);
    CHECK_DONE();
}
