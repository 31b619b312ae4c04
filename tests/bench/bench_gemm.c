/*
 * bench_gemm.c - GFLOP/s of gemm_run (B packed once) against dnnl_sgemm
 * (which packs B on every call) on the BERT-base and ResNet-50 GEMM
 * shapes. Not a test: build the bench_gemm target and run it by hand.
 *
 * One thread is timed in the calling thread's CPU time, so that other
 * processes sharing the cores do not count; two threads in wall time,
 * which a busy machine inflates (indicative only). Each figure is the
 * best of BENCH_REPEATS calls after a warm-up call.
 *
 * The first lines are the dispatch level (INFERD_MAX_ISA caps it) and one
 * core's FMA peak at each vector width the CPU has, measured from
 * registers, which the GEMM's figures can reach at best.
 *
 * usage: bench_gemm [repeats [max_threads]]
 */
#include <dnnl.h>
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu_isa.h"
#include "gemm/gemm.h"

#define BENCH_REPEATS     10
#define BENCH_MAX_THREADS 2

typedef struct shape {
    const char *model;
    int64_t m, n, k;
} shape_t;

static const shape_t shapes[] = {
    {"bert b1", 128, 768, 768},  {"bert b1", 128, 3072, 768},  {"bert b1", 128, 768, 3072},
    {"bert b8", 1024, 768, 768}, {"bert b8", 1024, 3072, 768}, {"bert b8", 1024, 768, 3072},
    {"resnet", 3136, 64, 576},   {"resnet", 784, 128, 1152},   {"resnet", 196, 256, 2304},
    {"resnet", 49, 512, 4608},   {"resnet", 3136, 256, 64},    {"resnet", 3136, 64, 256},
};

#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static float *random_floats(int64_t n, unsigned seed)
{
    float *v = malloc((size_t)n * sizeof *v);

    if (!v) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 16) % 2001) / 1000.0f - 1.0f;
    }
    return v;
}

static double now(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct operands {
    const shape_t *s;
    float *a, *b, *c;
    gemm_b_t *packed;
} operands_t;

static void call(const operands_t *o, bool ours, int threads)
{
    const shape_t *s = o->s;

    if (ours) {
        gemm_a_t a = {.data = o->a, .lda = s->k};
        gemm_run(&a, s->m, o->packed, o->c, s->n, NULL, NULL, threads);
    } else {
        omp_set_num_threads(threads);
        dnnl_sgemm('N', 'N', s->m, s->n, s->k, 1.0f, o->a, s->k, o->b, s->n, 0.0f, o->c, s->n);
    }
}

/*
 * Multiply-adds per peak measurement: 12 independent chains of 8-lane
 * FMAs, enough to fill both FMA pipes through their latency, and long
 * enough (about 0.1 s) to swamp the clock's resolution.
 */
#define PEAK_STEPS 20000000L

/*
 * The core's FMA throughput in GFLOP/s, from registers alone: the ceiling
 * the GEMM figures below are read against. CPU time, best of repeats.
 */
__attribute__((target("avx2,fma"))) static double fma_peak(int repeats)
{
    double best = 1e30;

    for (int r = 0; r < repeats; r++) {
        __m256 m = _mm256_set1_ps(1.0000001f), k = _mm256_set1_ps(1e-7f);
        __m256 c0 = _mm256_set1_ps(0.0f), c1 = _mm256_set1_ps(1.0f), c2 = _mm256_set1_ps(2.0f);
        __m256 c3 = _mm256_set1_ps(3.0f), c4 = _mm256_set1_ps(4.0f), c5 = _mm256_set1_ps(5.0f);
        __m256 c6 = _mm256_set1_ps(6.0f), c7 = _mm256_set1_ps(7.0f), c8 = _mm256_set1_ps(8.0f);
        __m256 c9 = _mm256_set1_ps(9.0f), c10 = _mm256_set1_ps(10.0f), c11 = _mm256_set1_ps(11.0f);
        volatile float sink;
        double t0 = now(CLOCK_THREAD_CPUTIME_ID), dt;
        for (long i = 0; i < PEAK_STEPS; i++) {
            c0 = _mm256_fmadd_ps(c0, m, k);
            c1 = _mm256_fmadd_ps(c1, m, k);
            c2 = _mm256_fmadd_ps(c2, m, k);
            c3 = _mm256_fmadd_ps(c3, m, k);
            c4 = _mm256_fmadd_ps(c4, m, k);
            c5 = _mm256_fmadd_ps(c5, m, k);
            c6 = _mm256_fmadd_ps(c6, m, k);
            c7 = _mm256_fmadd_ps(c7, m, k);
            c8 = _mm256_fmadd_ps(c8, m, k);
            c9 = _mm256_fmadd_ps(c9, m, k);
            c10 = _mm256_fmadd_ps(c10, m, k);
            c11 = _mm256_fmadd_ps(c11, m, k);
        }
        dt = now(CLOCK_THREAD_CPUTIME_ID) - t0;
        /* Every chain feeds the result, so none is optimised away. */
        c0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
        c0 = _mm256_add_ps(c0, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
        sink = _mm256_cvtss_f32(c0);
        (void)sink;
        if (dt < best)
            best = dt;
    }
    return 12.0 * 16.0 * (double)PEAK_STEPS / best * 1e-9;
}

/*
 * fma_peak with 16-lane FMAs: twice the AVX2 figure where the core has
 * 512-bit FMA pipes (Zen 5), the same where it splits them in two (Zen 4).
 */
__attribute__((target("avx512f"))) static double fma_peak512(int repeats)
{
    double best = 1e30;

    for (int r = 0; r < repeats; r++) {
        __m512 m = _mm512_set1_ps(1.0000001f), k = _mm512_set1_ps(1e-7f);
        __m512 c0 = _mm512_set1_ps(0.0f), c1 = _mm512_set1_ps(1.0f), c2 = _mm512_set1_ps(2.0f);
        __m512 c3 = _mm512_set1_ps(3.0f), c4 = _mm512_set1_ps(4.0f), c5 = _mm512_set1_ps(5.0f);
        __m512 c6 = _mm512_set1_ps(6.0f), c7 = _mm512_set1_ps(7.0f), c8 = _mm512_set1_ps(8.0f);
        __m512 c9 = _mm512_set1_ps(9.0f), c10 = _mm512_set1_ps(10.0f), c11 = _mm512_set1_ps(11.0f);
        volatile float sink;
        double t0 = now(CLOCK_THREAD_CPUTIME_ID), dt;
        for (long i = 0; i < PEAK_STEPS; i++) {
            c0 = _mm512_fmadd_ps(c0, m, k);
            c1 = _mm512_fmadd_ps(c1, m, k);
            c2 = _mm512_fmadd_ps(c2, m, k);
            c3 = _mm512_fmadd_ps(c3, m, k);
            c4 = _mm512_fmadd_ps(c4, m, k);
            c5 = _mm512_fmadd_ps(c5, m, k);
            c6 = _mm512_fmadd_ps(c6, m, k);
            c7 = _mm512_fmadd_ps(c7, m, k);
            c8 = _mm512_fmadd_ps(c8, m, k);
            c9 = _mm512_fmadd_ps(c9, m, k);
            c10 = _mm512_fmadd_ps(c10, m, k);
            c11 = _mm512_fmadd_ps(c11, m, k);
        }
        dt = now(CLOCK_THREAD_CPUTIME_ID) - t0;
        c0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                           _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
        c0 = _mm512_add_ps(c0, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
        sink = _mm512_reduce_add_ps(c0);
        (void)sink;
        if (dt < best)
            best = dt;
    }
    return 12.0 * 32.0 * (double)PEAK_STEPS / best * 1e-9;
}

/* Best GFLOP/s over repeats calls. */
static double measure(const operands_t *o, bool ours, int threads, int repeats)
{
    clockid_t clock = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
    double best = 1e30, flops = 2.0 * (double)(o->s->m * o->s->n * o->s->k);

    call(o, ours, threads);
    for (int r = 0; r < repeats; r++) {
        double t0 = now(clock);
        call(o, ours, threads);
        double dt = now(clock) - t0;
        if (dt < best)
            best = dt;
    }
    return flops / best * 1e-9;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : BENCH_REPEATS;
    int max_threads = argc > 2 ? atoi(argv[2]) : BENCH_MAX_THREADS;
    double result[N_SHAPES][BENCH_MAX_THREADS][2];
    operands_t ops[N_SHAPES];
    error_t err = {0};

    if (repeats < 1 || max_threads < 1 || max_threads > BENCH_MAX_THREADS) {
        fprintf(stderr, "usage: %s [repeats [max_threads (1 or 2)]]\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < N_SHAPES; i++) {
        const shape_t *s = &shapes[i];
        ops[i].s = s;
        ops[i].a = random_floats(s->m * s->k, 1);
        ops[i].b = random_floats(s->k * s->n, 2);
        ops[i].c = random_floats(s->m * s->n, 3);
        if (gemm_b_pack(ops[i].b, s->n, false, s->k, s->n, &ops[i].packed, &err) != STATUS_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
    }
    /* All one-thread runs first: idle OpenMP workers spin for a while. */
    for (int threads = 1; threads <= BENCH_MAX_THREADS; threads++)
        for (size_t i = 0; i < N_SHAPES; i++)
            for (int ours = 0; ours < 2; ours++)
                result[i][threads - 1][ours] =
                    threads <= max_threads ? measure(&ops[i], ours, threads, repeats) : 0.0;
    printf("gemm kernels: %s\n", cpu_isa_name(cpu_isa()));
    if (cpu_isa() >= CPU_ISA_AVX2)
        printf("one core's FMA peak (AVX2, registers only): %.1f GFLOP/s\n", fma_peak(repeats));
    if (cpu_isa() >= CPU_ISA_AVX512)
        printf("one core's FMA peak (AVX-512, registers only): %.1f GFLOP/s\n",
               fma_peak512(repeats));
    printf("%-8s %5s %5s %5s | %8s %8s | %8s %8s   (GFLOP/s, best of %d)\n", "model", "M", "N", "K",
           "gemm 1t", "dnnl 1t", "gemm 2t", "dnnl 2t", repeats);
    for (size_t i = 0; i < N_SHAPES; i++) {
        const shape_t *s = &shapes[i];
        printf("%-8s %5lld %5lld %5lld | %8.1f %8.1f | %8.1f %8.1f\n", s->model, (long long)s->m,
               (long long)s->n, (long long)s->k, result[i][0][1], result[i][0][0], result[i][1][1],
               result[i][1][0]);
    }
    for (size_t i = 0; i < N_SHAPES; i++) {
        gemm_b_free(ops[i].packed);
        free(ops[i].a);
        free(ops[i].b);
        free(ops[i].c);
    }
    return 0;
}
