/*
 * Unit tests of the pool family: MaxPool (with Indices in both storage
 * orders, dilations, ceil_mode, int8) and AveragePool (count_include_pad,
 * ceil_mode) against naive loops over every tap, the global pools, the
 * channels-last float max pool at each instruction set level (with NaN and
 * signed zeros), and the prototype's failure messages.
 */
#include "pool/pool.h"
#include "pool/pool_nhwc.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* A 2-D pooling window over planes of in[0] x in[1]. */
typedef struct ref_pool {
    int64_t planes, in[2], k[2], s[2], d[2], pb[2], pe[2], out[2];
} ref_pool_t;

/* Every tap of every window, tested one by one against the input bounds. */
static void ref_pool_f32(const ref_pool_t *r, bool max, bool include_pad, bool column_major,
                         const float *x, float *y, int64_t *indices)
{
    for (int64_t p = 0; p < r->planes; p++)
        for (int64_t oh = 0; oh < r->out[0]; oh++)
            for (int64_t ow = 0; ow < r->out[1]; ow++) {
                double acc = max ? -INFINITY : 0.0;
                int64_t count = 0, best = -1;
                for (int64_t kh = 0; kh < r->k[0]; kh++)
                    for (int64_t kw = 0; kw < r->k[1]; kw++) {
                        int64_t ih = oh * r->s[0] - r->pb[0] + kh * r->d[0];
                        int64_t iw = ow * r->s[1] - r->pb[1] + kw * r->d[1];
                        bool inside = ih >= 0 && ih < r->in[0] && iw >= 0 && iw < r->in[1];
                        bool in_pad = ih < r->in[0] + r->pe[0] && iw < r->in[1] + r->pe[1];
                        float v;
                        if (include_pad ? in_pad : inside)
                            count++;
                        if (!inside)
                            continue;
                        v = x[(p * r->in[0] + ih) * r->in[1] + iw];
                        if (!max) {
                            acc += v;
                        } else if (v > acc) {
                            acc = v;
                            best = p * r->in[0] * r->in[1] +
                                   (column_major ? ih + iw * r->in[0] : ih * r->in[1] + iw);
                        }
                    }
                *y++ = (float)(max ? acc : acc / (double)count);
                if (indices)
                    *indices++ = best;
            }
}

static void check_pool_2d(const char *op_type, const ref_pool_t *r, const attr_t *attrs,
                          size_t n_attrs, bool include_pad, bool column_major, int n_out)
{
    bool max = strcmp(op_type, "MaxPool") == 0;
    int64_t xd[] = {2, r->planes / 2, r->in[0], r->in[1]};
    int64_t yd[] = {2, r->planes / 2, r->out[0], r->out[1]};
    int64_t y_n = r->planes * r->out[0] * r->out[1];
    float *x = harness_random_floats(r->planes * r->in[0] * r->in[1], 7);
    float *expect = malloc((size_t)y_n * sizeof *expect);
    int64_t *expect_idx = malloc((size_t)y_n * sizeof *expect_idx);
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, xd, x), out[2];
    error_t err;

    ref_pool_f32(r, max, include_pad, column_major, x, expect, expect_idx);
    CHECK(harness_run(op_type, 12, attrs, n_attrs, 1, (const tensor_t *[]){&tx}, n_out, out,
                      &err) == STATUS_OK);
    CHECK(shape_equal(out[0].rank, out[0].dims, 4, yd));
    if (out[0].data && shape_equal(out[0].rank, out[0].dims, 4, yd)) {
        for (int64_t i = 0; i < y_n; i++)
            CHECK_NEAR(((float *)out[0].data)[i], expect[i], 1e-5);
        for (int64_t i = 0; i < y_n && n_out > 1; i++)
            CHECK(((int64_t *)out[1].data)[i] == expect_idx[i]);
    }
    for (int k = 0; k < n_out; k++)
        free(out[k].data);
    free(x);
    free(expect);
    free(expect_idx);
}

static void test_max_pool_indices(void)
{
    /*
     * H: 7 + 1 + 2 - 5 = 5, ceil(5 / 2) + 1 = 4. W: 8 + 0 + 1 - 2 = 7,
     * ceil(7 / 3) + 1 = 4, but window 3 would start in the end padding: 3.
     */
    ref_pool_t r = {.planes = 6,
                    .in = {7, 8},
                    .k = {3, 2},
                    .s = {2, 3},
                    .d = {2, 1},
                    .pb = {1, 0},
                    .pe = {2, 1},
                    .out = {4, 3}};
    int64_t kernel[] = {3, 2}, strides[] = {2, 3}, dilations[] = {2, 1}, pads[] = {1, 0, 2, 1};
    attr_t attrs[] = {harness_ints_attr("kernel_shape", kernel, 2),
                      harness_ints_attr("strides", strides, 2),
                      harness_ints_attr("dilations", dilations, 2),
                      harness_ints_attr("pads", pads, 4),
                      harness_int_attr("ceil_mode", 1),
                      harness_int_attr("storage_order", 1)};

    check_pool_2d("MaxPool", &r, attrs, 5, false, false, 2);
    check_pool_2d("MaxPool", &r, attrs, 6, false, true, 2);
    check_pool_2d("MaxPool", &r, attrs, 6, false, true, 1);
}

static void test_average_pool(void)
{
    /* H: 6 + 2 + 1 - 3 = 6, ceil(6 / 2) + 1 = 4. W: 5 + 1 + 1 - 3 = 4, 4 / 2 + 1 = 3. */
    ref_pool_t r = {.planes = 4,
                    .in = {6, 5},
                    .k = {3, 3},
                    .s = {2, 2},
                    .d = {1, 1},
                    .pb = {2, 1},
                    .pe = {1, 1},
                    .out = {4, 3}};
    int64_t kernel[] = {3, 3}, strides[] = {2, 2}, pads[] = {2, 1, 1, 1};
    attr_t attrs[] = {harness_ints_attr("kernel_shape", kernel, 2),
                      harness_ints_attr("strides", strides, 2), harness_ints_attr("pads", pads, 4),
                      harness_int_attr("ceil_mode", 1), harness_int_attr("count_include_pad", 1)};

    check_pool_2d("AveragePool", &r, attrs, 4, false, false, 1);
    check_pool_2d("AveragePool", &r, attrs, 5, true, false, 1);
}

static void test_max_pool_int8_same_upper(void)
{
    /* 1-D, in 7, k 3, s 2: out 4, total pad 2 split 1 / 1. */
    int8_t x[] = {-128, -5, 7, 100, -100, 3, 3};
    int8_t expect[] = {-5, 100, 100, 3};
    int64_t xd[] = {1, 1, 7}, kernel[] = {3}, strides[] = {2};
    attr_t attrs[] = {harness_ints_attr("kernel_shape", kernel, 1),
                      harness_ints_attr("strides", strides, 1),
                      {.name = "auto_pad", .type = ATTR_STRING, .s = "SAME_UPPER"}};
    tensor_t tx = harness_tensor(DTYPE_INT8, 3, xd, x), out[2];
    int64_t expect_idx[] = {1, 3, 3, 5};
    error_t err;

    CHECK(harness_run("MaxPool", 12, attrs, 3, 1, (const tensor_t *[]){&tx}, 2, out, &err) ==
          STATUS_OK);
    CHECK(out[0].dtype == DTYPE_INT8 && out[0].dims[2] == 4 && out[1].dtype == DTYPE_INT64);
    for (int i = 0; i < 4 && out[0].data; i++) {
        CHECK(((int8_t *)out[0].data)[i] == expect[i]);
        CHECK(((int64_t *)out[1].data)[i] == expect_idx[i]);
    }
    free(out[0].data);
    free(out[1].data);
}

static void test_global_pools(void)
{
    int64_t xd[] = {1, 2, 2, 1, 3};
    float x[] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -9};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 5, xd, x), out;
    int64_t yd[] = {1, 2, 1, 1, 1};
    error_t err;

    CHECK(harness_run("GlobalAveragePool", 12, NULL, 0, 1, (const tensor_t *[]){&tx}, 1, &out,
                      &err) == STATUS_OK);
    CHECK(shape_equal(out.rank, out.dims, 5, yd));
    CHECK_NEAR(((float *)out.data)[0], 3.5, 1e-6);
    CHECK_NEAR(((float *)out.data)[1], -4.0, 1e-6);
    free(out.data);
    CHECK(harness_run("GlobalMaxPool", 12, NULL, 0, 1, (const tensor_t *[]){&tx}, 1, &out, &err) ==
          STATUS_OK);
    CHECK_NEAR(((float *)out.data)[0], 6.0, 0);
    CHECK_NEAR(((float *)out.data)[1], -1.0, 0);
    free(out.data);
}

static status_t fail_case(const char *op_type, const attr_t *attrs, size_t n_attrs, int rank,
                          const int64_t *xd, error_t *err)
{
    static float data[1024];
    tensor_t tx = harness_tensor(DTYPE_FLOAT, rank, xd, data), out[2];
    status_t st =
        harness_run(op_type, 12, attrs, n_attrs, 1, (const tensor_t *[]){&tx}, 1, out, err);
    free(out[0].data);
    return st;
}

static void test_failures(void)
{
    int64_t x[] = {1, 1, 5, 5}, x2[] = {2, 3}, x6[] = {1, 1, 2, 2, 2, 2};
    int64_t k33[] = {3, 3}, k3[] = {3}, pads_big[] = {3, 0, 0, 0}, k1111[] = {1, 1, 1, 1};
    error_t err;

    CHECK(fail_case("MaxPool", NULL, 0, 4, x, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "MaxPool node 'n0': attribute 'kernel_shape' is required") != NULL);
    {
        attr_t attrs[] = {harness_ints_attr("kernel_shape", k33, 2),
                          harness_ints_attr("pads", pads_big, 4)};
        CHECK(fail_case("AveragePool", attrs, 2, 4, x, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "AveragePool node 'n0': attribute 'pads' on spatial axis 0 "
                                  "(3, 0) must be smaller than the kernel extent 3") != NULL);
    }
    {
        attr_t a = harness_ints_attr("kernel_shape", k3, 1);
        CHECK(fail_case("MaxPool", &a, 1, 4, x, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "attribute 'kernel_shape' has 1 values, expected 2") != NULL);
    }
    {
        attr_t attrs[] = {harness_ints_attr("kernel_shape", k33, 2),
                          harness_int_attr("storage_order", 2)};
        CHECK(fail_case("MaxPool", attrs, 2, 4, x, &err) == STATUS_INVALID_MODEL);
        CHECK(strstr(err.message, "attribute 'storage_order' = 2 must be 0 or 1") != NULL);
    }
    {
        attr_t a = harness_ints_attr("kernel_shape", k1111, 4);
        CHECK(fail_case("MaxPool", &a, 1, 6, x6, &err) == STATUS_UNSUPPORTED);
        CHECK(strstr(err.message, "input X [1,1,2,2,2,2]: at most 3 spatial dims") != NULL);
    }
    CHECK(fail_case("GlobalAveragePool", NULL, 0, 2, x2, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "GlobalAveragePool node 'n0': input X [2,3] must have rank >= 3") !=
          NULL);
}

/*
 * The channels-last float max pool (pool_max_nhwc_f32, vectorised on AVX2
 * and AVX-512: pool_max_nhwc_simd.c) against the NCHW reference, exactly,
 * on channel counts around the vector blocks (16 and 64 on AVX-512, 8 and
 * 32 on AVX2) and windows with padding, stride and dilation; NaNs never
 * win a window and -0 does not replace +0, as in the C loop (the test runs
 * again capped at AVX2 and at plain C).
 */
static void test_max_pool_nhwc(void)
{
    static const int64_t channels[] = {1, 5, 8, 16, 17, 33, 64, 67, 100, 131};
    static const ref_pool_t windows[] = {
        /* planes set per case; in, k, s, d, pad begin, pad end, out */
        {0, {11, 13}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {6, 7}},
        {0, {7, 9}, {2, 3}, {1, 2}, {2, 1}, {0, 1}, {1, 0}, {6, 4}},
        {0, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {5, 6}},
        {0, {4, 4}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, {4, 4}},
    };

    for (size_t wi = 0; wi < sizeof windows / sizeof windows[0]; wi++)
        for (size_t ci = 0; ci < sizeof channels / sizeof channels[0]; ci++)
            for (int threads = 1; threads <= 2; threads++) {
                ref_pool_t r = windows[wi];
                const int64_t c = channels[ci], batch = 2;
                const int64_t in = r.in[0] * r.in[1], out = r.out[0] * r.out[1];
                pool_window_t w = {.in = {1, r.in[0], r.in[1]},
                                   .out = {1, r.out[0], r.out[1]},
                                   .kernel = {1, r.k[0], r.k[1]},
                                   .stride = {1, r.s[0], r.s[1]},
                                   .dilation = {1, r.d[0], r.d[1]},
                                   .pad_begin = {0, r.pb[0], r.pb[1]},
                                   .pad_end = {0, r.pe[0], r.pe[1]}};
                pool_span_t *spans = malloc((size_t)pool_spans_count(&w) * sizeof *spans);
                float *x = harness_random_floats(batch * in * c, (unsigned)(wi * 31 + ci));
                float *planar = malloc((size_t)(batch * in * c) * sizeof *planar);
                float *expect = malloc((size_t)(batch * out * c) * sizeof *expect);
                float *y = malloc((size_t)(batch * out * c) * sizeof *y);
                bool exact = true;

                r.planes = batch * c;
                /* NaNs at every seventh position, zeros of either sign at every fifth. */
                for (int64_t i = 0; i < batch * in * c; i++) {
                    if (i % 7 == 3)
                        x[i] = NAN;
                    else if (i % 5 == 1)
                        x[i] = i % 2 ? -0.0f : 0.0f;
                    else
                        x[i] = -fabsf(x[i]); /* negative, so a window of zeros keeps its zero */
                }
                for (int64_t n = 0; n < batch; n++)
                    for (int64_t p = 0; p < in; p++)
                        for (int64_t k = 0; k < c; k++)
                            planar[(n * c + k) * in + p] = x[(n * in + p) * c + k];
                ref_pool_f32(&r, true, false, false, planar, expect, NULL);
                pool_spans(&w, spans);
                pool_max_nhwc_f32(&w, spans, batch, c, x, y, threads);
                for (int64_t n = 0; n < batch; n++)
                    for (int64_t p = 0; p < out; p++)
                        for (int64_t k = 0; k < c; k++) {
                            float got = y[(n * out + p) * c + k];
                            float want = expect[(n * c + k) * out + p];
                            exact &= memcmp(&got, &want, sizeof got) == 0;
                        }
                CHECK(exact);
                free(spans);
                free(x);
                free(planar);
                free(expect);
                free(y);
            }
}

/*
 * The channels-last 8-bit max pool (pool_max_nhwc_8, AVX2 and AVX-512 rows
 * in pool_max_nhwc_simd.c), uint8 and int8, against the window's max
 * written out here over the in-image taps, exactly; channel counts around
 * the 32- and 64-byte vectors, and the same windows as the float test.
 */
static void test_max_pool_nhwc_8(void)
{
    static const int64_t channels[] = {1, 5, 31, 32, 33, 63, 64, 65, 100, 131};
    static const ref_pool_t windows[] = {
        {0, {11, 13}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {6, 7}},
        {0, {7, 9}, {2, 3}, {1, 2}, {2, 1}, {0, 1}, {1, 0}, {6, 4}},
        {0, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {5, 6}},
        {0, {4, 4}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, {4, 4}},
    };

    for (size_t wi = 0; wi < sizeof windows / sizeof windows[0]; wi++)
        for (size_t ci = 0; ci < sizeof channels / sizeof channels[0]; ci++)
            for (int sgn = 0; sgn < 2; sgn++)
                for (int threads = 1; threads <= 2; threads++) {
                    const ref_pool_t r = windows[wi];
                    const int64_t c = channels[ci], batch = 2;
                    const int64_t in = r.in[0] * r.in[1], out = r.out[0] * r.out[1];
                    pool_window_t w = {.in = {1, r.in[0], r.in[1]},
                                       .out = {1, r.out[0], r.out[1]},
                                       .kernel = {1, r.k[0], r.k[1]},
                                       .stride = {1, r.s[0], r.s[1]},
                                       .dilation = {1, r.d[0], r.d[1]},
                                       .pad_begin = {0, r.pb[0], r.pb[1]},
                                       .pad_end = {0, r.pe[0], r.pe[1]}};
                    pool_span_t *spans = malloc((size_t)pool_spans_count(&w) * sizeof *spans);
                    uint8_t *x = malloc((size_t)(batch * in * c));
                    uint8_t *y = malloc((size_t)(batch * out * c));
                    int64_t wrong = 0;

                    srand((unsigned)(wi * 131 + ci * 7 + (size_t)sgn));
                    for (int64_t i = 0; i < batch * in * c; i++)
                        x[i] = (uint8_t)rand();
                    pool_spans(&w, spans);
                    pool_max_nhwc_8(&w, spans, batch, c, sgn, x, y, threads);
                    for (int64_t n = 0; n < batch; n++)
                        for (int64_t oh = 0; oh < r.out[0]; oh++)
                            for (int64_t ow = 0; ow < r.out[1]; ow++)
                                for (int64_t k = 0; k < c; k++) {
                                    int32_t want = sgn ? -128 : 0, got;
                                    for (int64_t kh = 0; kh < r.k[0]; kh++)
                                        for (int64_t kw = 0; kw < r.k[1]; kw++) {
                                            const int64_t ih = oh * r.s[0] - r.pb[0] + kh * r.d[0];
                                            const int64_t iw = ow * r.s[1] - r.pb[1] + kw * r.d[1];
                                            uint8_t b;
                                            int32_t v;
                                            if (ih < 0 || ih >= r.in[0] || iw < 0 || iw >= r.in[1])
                                                continue;
                                            b = x[((n * r.in[0] + ih) * r.in[1] + iw) * c + k];
                                            v = sgn ? (int8_t)b : b;
                                            want = v > want ? v : want;
                                        }
                                    got = y[((n * r.out[0] + oh) * r.out[1] + ow) * c + k];
                                    if (sgn)
                                        got = (int8_t)got;
                                    wrong += got != want;
                                }
                    if (wrong)
                        fprintf(stderr,
                                "  8-bit max pool window %zu, %lld channels, %s: %lld wrong\n", wi,
                                (long long)c, sgn ? "int8" : "uint8", (long long)wrong);
                    CHECK(wrong == 0);
                    free(spans);
                    free(x);
                    free(y);
                }
}

int main(void)
{
    test_max_pool_indices();
    test_average_pool();
    test_max_pool_int8_same_upper();
    test_global_pools();
    test_max_pool_nhwc();
    test_max_pool_nhwc_8();
    test_failures();
    CHECK_DONE();
}
