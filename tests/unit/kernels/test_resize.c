/*
 * Unit tests of the resize family: the separable per-axis passes against a
 * per-element N-D reference written like the ONNX one (n nearest neighbours
 * on an edge-padded axis, ties to the smaller index), across modes,
 * coordinate transforms and mixed shrinking/growing axes; nearest on
 * integer types; the Upsample-7 and Resize-10 forms; tf_crop_and_resize
 * extrapolation; and the prototype's failure messages.
 */
#include "resize/resize.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define REF_MAX_RANK 4
#define REF_MAX_TAPS 4

/* The reference's view of a resize. */
typedef struct ref_resize {
    const char *mode, *coord, *nearest;
    double cubic_a;
    bool exclude_outside;
    int rank;
    int64_t in[REF_MAX_RANK], out[REF_MAX_RANK];
    double scale[REF_MAX_RANK];
} ref_resize_t;

static double ref_coord(const ref_resize_t *r, int a, int64_t o)
{
    double in = (double)r->in[a], width = r->scale[a] * in, x = (double)o;

    if (strcmp(r->coord, "align_corners") == 0)
        return width == 1.0 ? 0.0 : x * (in - 1.0) / (width - 1.0);
    if (strcmp(r->coord, "asymmetric") == 0)
        return x / r->scale[a];
    if (strcmp(r->coord, "pytorch_half_pixel") == 0)
        return width == 1.0 ? 0.0 : (x + 0.5) / r->scale[a] - 0.5;
    return (x + 0.5) / r->scale[a] - 0.5;
}

/* The n indices nearest to x among [-pad, in + pad), ties to the smaller, ascending. */
static void nearest_indices(double x, int n, int64_t in, int64_t *idx)
{
    int64_t pad = (n + 1) / 2;
    int taken = 0;

    while (taken < n) {
        int64_t best = 0;
        double best_dist = INFINITY;
        for (int64_t i = -pad; i < in + pad; i++) {
            bool used = false;
            for (int t = 0; t < taken; t++)
                used = used || idx[t] == i;
            if (!used && fabs(x - (double)i) < best_dist) {
                best = i;
                best_dist = fabs(x - (double)i);
            }
        }
        idx[taken++] = best;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (idx[j] < idx[i]) {
                int64_t t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
}

/* Taps (clamped indices and weights) of output index o on axis a; returns their count. */
static int ref_taps(const ref_resize_t *r, int a, int64_t o, int64_t *idx, double *w)
{
    double x = ref_coord(r, a, o);
    double ratio = x == floor(x) ? 1.0 : x - floor(x), A = r->cubic_a;
    int n = 2;

    if (strcmp(r->mode, "cubic") == 0) {
        double s = ratio + 1.0, t = 1.0 - ratio, u = 2.0 - ratio;
        n = 4;
        w[0] = ((A * s - 5 * A) * s + 8 * A) * s - 4 * A;
        w[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
        w[2] = ((A + 2) * t - (A + 3)) * t * t + 1;
        w[3] = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
    } else if (strcmp(r->mode, "linear") == 0) {
        w[0] = 1.0 - ratio;
        w[1] = ratio;
    } else {
        bool up = ratio == 1.0 || strcmp(r->nearest, "ceil") == 0 ||
                  (strcmp(r->nearest, "round_prefer_ceil") == 0 && ratio >= 0.5) ||
                  (strcmp(r->nearest, "round_prefer_floor") == 0 && ratio > 0.5);
        w[0] = up ? 0.0 : 1.0;
        w[1] = up ? 1.0 : 0.0;
    }
    nearest_indices(x, n, r->in[a], idx);
    if (r->exclude_outside) {
        double sum = 0.0;
        for (int t = 0; t < n; t++) {
            if (idx[t] < 0 || idx[t] >= r->in[a])
                w[t] = 0.0;
            sum += w[t];
        }
        for (int t = 0; t < n; t++)
            w[t] /= sum;
    }
    for (int t = 0; t < n; t++)
        idx[t] = idx[t] < 0 ? 0 : idx[t] >= r->in[a] ? r->in[a] - 1 : idx[t];
    return n;
}

/* Value at output coordinate o: every combination of the per-axis taps. */
static double ref_value(const ref_resize_t *r, const float *x, const int64_t *o, int a,
                        int64_t offset)
{
    int64_t idx[REF_MAX_TAPS];
    double w[REF_MAX_TAPS], v = 0.0;
    int n;

    if (a == r->rank)
        return x[offset];
    n = ref_taps(r, a, o[a], idx, w);
    for (int t = 0; t < n; t++)
        if (w[t] != 0.0)
            v += w[t] * ref_value(r, x, o, a + 1, offset * r->in[a] + idx[t]);
    return v;
}

static float *counting_floats(int64_t n)
{
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((i * 37) % 23) - 11.0f;
    return v;
}

/* Resize-13 with attrs and either scales or sizes, checked against the reference. */
static void check_resize(ref_resize_t *r, const attr_t *attrs, size_t n_attrs, bool by_sizes)
{
    int64_t in_n = 1, out_n = 1, count[] = {r->rank};
    float scales[REF_MAX_RANK];
    int64_t sizes[REF_MAX_RANK], o[REF_MAX_RANK] = {0};
    float *x;
    tensor_t tx, ts, ty;
    const tensor_t *in[4] = {&tx, NULL, NULL, NULL};
    error_t err;

    for (int a = 0; a < r->rank; a++) {
        in_n *= r->in[a];
        out_n *= r->out[a];
        sizes[a] = r->out[a];
        scales[a] = (float)r->scale[a];
        /* The kernel sees float scales, or the exact ratio when sizes are given. */
        r->scale[a] = by_sizes ? (double)r->out[a] / (double)r->in[a] : (double)scales[a];
    }
    x = counting_floats(in_n);
    tx = harness_tensor(DTYPE_FLOAT, r->rank, r->in, x);
    if (by_sizes) {
        ts = harness_tensor(DTYPE_INT64, 1, count, sizes);
        in[3] = &ts;
    } else {
        ts = harness_tensor(DTYPE_FLOAT, 1, count, scales);
        in[2] = &ts;
    }
    CHECK(harness_run("Resize", 13, attrs, n_attrs, by_sizes ? 4 : 3, in, 1, &ty, &err) ==
          STATUS_OK);
    CHECK(shape_equal(ty.rank, ty.dims, r->rank, r->out));
    for (int64_t i = 0; i < out_n && ty.data && shape_equal(ty.rank, ty.dims, r->rank, r->out);
         i++) {
        CHECK_NEAR(((float *)ty.data)[i], ref_value(r, x, o, 0, 0), 1e-4);
        for (int a = r->rank - 1; a >= 0 && ++o[a] == r->out[a]; a--)
            o[a] = 0;
    }
    free(ty.data);
    free(x);
}

static void test_linear_mixed_axes(void)
{
    /* Axis 0 grows, axis 1 shrinks, axis 2 grows: the shrinking pass runs first. */
    ref_resize_t r = {
        .mode = "linear", .coord = "half_pixel", .rank = 3, .in = {2, 5, 4}, .out = {3, 3, 7}};
    attr_t attrs[] = {harness_string_attr("mode", "linear"),
                      harness_string_attr("coordinate_transformation_mode", "align_corners")};

    check_resize(&r, attrs, 1, true);
    r.coord = "align_corners";
    check_resize(&r, attrs, 2, true);
}

static void test_cubic(void)
{
    ref_resize_t r = {.mode = "cubic",
                      .coord = "half_pixel",
                      .cubic_a = -0.75,
                      .rank = 4,
                      .in = {1, 2, 4, 5},
                      .out = {1, 2, 6, 3},
                      .scale = {1, 1, 1.5, 0.6}};
    attr_t attrs[] = {harness_string_attr("mode", "cubic"),
                      harness_string_attr("coordinate_transformation_mode", "asymmetric"),
                      {.name = "cubic_coeff_a", .type = ATTR_FLOAT, .f = -0.5f},
                      {.name = "exclude_outside", .type = ATTR_INT, .i = 1}};

    check_resize(&r, attrs, 1, false);
    r.coord = "asymmetric";
    r.cubic_a = -0.5;
    r.exclude_outside = true;
    check_resize(&r, attrs, 4, false);
}

static void test_pytorch_half_pixel_single_output(void)
{
    ref_resize_t r = {.mode = "linear",
                      .coord = "pytorch_half_pixel",
                      .rank = 4,
                      .in = {1, 1, 3, 4},
                      .out = {1, 1, 1, 6}};
    attr_t attrs[] = {harness_string_attr("mode", "linear"),
                      harness_string_attr("coordinate_transformation_mode", "pytorch_half_pixel")};
    check_resize(&r, attrs, 2, true);
}

static void test_nearest_modes(void)
{
    static const char *const modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    for (int m = 0; m < 4; m++) {
        ref_resize_t r = {.mode = "nearest",
                          .coord = "half_pixel",
                          .nearest = modes[m],
                          .rank = 2,
                          .in = {3, 5},
                          .out = {7, 2}};
        attr_t attrs[] = {harness_string_attr("nearest_mode", modes[m])};
        check_resize(&r, attrs, 1, true);
    }
}

static void test_nearest_integer_types(void)
{
    int64_t x[] = {1, 2, 3, 4, 5, 6}, xd[] = {2, 3}, sd[] = {2};
    int64_t expect[] = {1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 4, 5, 5, 6, 6, 4, 5, 5, 6, 6};
    uint8_t xb[] = {10, 20, 30, 40}, expect_b[] = {10, 20, 10, 20, 30, 40};
    int64_t xbd[] = {2, 2}, sizes_b[] = {3, 2};
    float scales[] = {2.0f, 1.7f};
    attr_t attrs[] = {harness_string_attr("coordinate_transformation_mode", "asymmetric"),
                      harness_string_attr("nearest_mode", "round_prefer_ceil")};
    tensor_t tx = harness_tensor(DTYPE_INT64, 2, xd, x),
             ts = harness_tensor(DTYPE_FLOAT, 1, sd, scales), ty;
    tensor_t txb = harness_tensor(DTYPE_UINT8, 2, xbd, xb),
             tsz = harness_tensor(DTYPE_INT64, 1, sd, sizes_b);
    const tensor_t *in[] = {&tx, NULL, &ts};
    const tensor_t *in_b[] = {&txb, NULL, NULL, &tsz};
    error_t err;

    /*
     * Rows: x = o / 2 = 0, 0.5, 1, 1.5 -> 0, 1, 1, 1 (ties up, clamped).
     * Columns: x = o / 1.7 = 0, 0.59, 1.18, 1.76, 2.35 -> 0, 1, 1, 2, 2.
     */
    CHECK(harness_run("Resize", 13, attrs, 2, 3, in, 1, &ty, &err) == STATUS_OK);
    CHECK(ty.dtype == DTYPE_INT64 && ty.dims[0] == 4 && ty.dims[1] == 5);
    for (int i = 0; i < 20 && ty.data; i++)
        CHECK(((int64_t *)ty.data)[i] == expect[i]);
    free(ty.data);

    /* Rows: x = (o + 0.5) * 2 / 3 - 0.5 = -0.17, 0.5, 1.17 -> 0, 0, 1 (round half down). */
    CHECK(harness_run("Resize", 13, NULL, 0, 4, in_b, 1, &ty, &err) == STATUS_OK);
    CHECK(ty.dtype == DTYPE_UINT8 && ty.dims[0] == 3 && ty.dims[1] == 2);
    for (int i = 0; i < 6 && ty.data; i++)
        CHECK(((uint8_t *)ty.data)[i] == expect_b[i]);
    free(ty.data);
}

static void test_legacy_forms(void)
{
    float x[] = {1, 2, 3, 4, 5, 6, 7, 8}, up[] = {1, 2, 3, 4};
    float down_scales[] = {1, 1, 0.6f, 0.6f}, up_scales[] = {1, 1, 2, 2};
    int64_t xd[] = {1, 1, 2, 4}, upd[] = {1, 1, 2, 2}, sd[] = {4};
    float expect_up[] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    attr_t scales_attr = {.name = "scales", .type = ATTR_FLOATS, .floats = up_scales, .count = 4};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, xd, x),
             ts = harness_tensor(DTYPE_FLOAT, 1, sd, down_scales), ty;
    tensor_t tup = harness_tensor(DTYPE_FLOAT, 4, upd, up);
    const tensor_t *in[] = {&tx, &ts}, *in_up[] = {&tup};
    error_t err;

    /* Resize-10 shrinking rounds up: x = 0, 1.67 -> 0, 2. */
    CHECK(harness_run("Resize", 10, NULL, 0, 2, in, 1, &ty, &err) == STATUS_OK);
    CHECK(ty.dims[2] == 1 && ty.dims[3] == 2);
    CHECK(ty.data && ((float *)ty.data)[0] == 1.0f && ((float *)ty.data)[1] == 3.0f);
    free(ty.data);

    CHECK(harness_run("Upsample", 7, &scales_attr, 1, 1, in_up, 1, &ty, &err) == STATUS_OK);
    CHECK(ty.dims[2] == 4 && ty.dims[3] == 4);
    for (int i = 0; i < 16 && ty.data; i++)
        CHECK(((float *)ty.data)[i] == expect_up[i]);
    free(ty.data);
}

static void test_crop_and_extrapolate_and_identity(void)
{
    float x[16], roi[] = {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f}, ones[] = {1, 1, 1, 1};
    int64_t xd[] = {1, 1, 4, 4}, rd[] = {8}, sd[] = {4}, sizes[] = {1, 1, 3, 3};
    float expect[] = {7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10};
    attr_t attrs[] = {harness_string_attr("mode", "linear"),
                      harness_string_attr("coordinate_transformation_mode", "tf_crop_and_resize"),
                      {.name = "extrapolation_value", .type = ATTR_FLOAT, .f = 10.0f}};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, xd, x),
             troi = harness_tensor(DTYPE_FLOAT, 1, rd, roi);
    tensor_t tsz = harness_tensor(DTYPE_INT64, 1, sd, sizes),
             tones = harness_tensor(DTYPE_FLOAT, 1, sd, ones), ty;
    const tensor_t *in[] = {&tx, &troi, NULL, &tsz}, *in_id[] = {&tx, NULL, &tones};
    error_t err;

    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    CHECK(harness_run("Resize", 11, attrs, 3, 4, in, 1, &ty, &err) == STATUS_OK);
    for (int i = 0; i < 9 && ty.data; i++)
        CHECK_NEAR(((float *)ty.data)[i], expect[i], 1e-5);
    free(ty.data);

    /* Scales of 1 skip every pass: a plain copy. */
    CHECK(harness_run("Resize", 13, attrs, 1, 3, in_id, 1, &ty, &err) == STATUS_OK);
    for (int i = 0; i < 16 && ty.data; i++)
        CHECK(((float *)ty.data)[i] == x[i]);
    free(ty.data);
}

static status_t fail_case(int opset, const attr_t *attrs, size_t n_attrs, int n_in,
                          const tensor_t *const *in, error_t *err)
{
    tensor_t ty;
    status_t st = harness_run(opset < 9 ? "Upsample" : "Resize", opset, attrs, n_attrs, n_in, in, 1,
                              &ty, err);
    free(ty.data);
    return st;
}

static void test_failures(void)
{
    float x[16] = {0}, scales[] = {1, 1, -1, 2}, roi[8] = {0};
    int64_t xi[16] = {0}, xd[] = {1, 1, 4, 4}, sd4[] = {4}, sd3[] = {3}, rd[] = {8};
    int64_t sizes[] = {1, -2, 4, 4}, sizes_ok[] = {1, 1, 2, 2};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, xd, x),
             txi = harness_tensor(DTYPE_INT64, 4, xd, xi);
    tensor_t ts = harness_tensor(DTYPE_FLOAT, 1, sd4, scales),
             ts3 = harness_tensor(DTYPE_FLOAT, 1, sd3, scales);
    tensor_t tsz = harness_tensor(DTYPE_INT64, 1, sd4, sizes),
             tsz_ok = harness_tensor(DTYPE_INT64, 1, sd4, sizes_ok);
    tensor_t troi = harness_tensor(DTYPE_FLOAT, 1, rd, roi);
    attr_t linear = harness_string_attr("mode", "linear"),
           bicubic = harness_string_attr("mode", "bicubic");
    attr_t crop = harness_string_attr("coordinate_transformation_mode", "tf_crop_and_resize");
    error_t err;

    {
        const tensor_t *in[] = {&tx, &troi, &ts, &tsz};
        CHECK(fail_case(13, NULL, 0, 4, in, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "Resize node 'n0': only one of 'scales' and 'sizes' may be "
                                  "given") != NULL);
    }
    {
        const tensor_t *in[] = {&tx};
        CHECK(fail_case(13, NULL, 0, 1, in, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "one of 'scales' and 'sizes' must be given") != NULL);
        CHECK(fail_case(7, NULL, 0, 1, in, &err) == STATUS_INVALID_MODEL);
        CHECK(strstr(err.message, "Upsample node 'n0': attribute 'scales' is required") != NULL);
    }
    {
        const tensor_t *in[] = {&tx, NULL, &ts3};
        CHECK(fail_case(13, NULL, 0, 3, in, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "'scales' has 3 values, expected 4 for input X of rank 4") !=
              NULL);
    }
    {
        const tensor_t *in[] = {&tx, NULL, &ts};
        CHECK(fail_case(13, NULL, 0, 3, in, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "scales[2] = -1 must be a positive number") != NULL);
    }
    {
        const tensor_t *in[] = {&tx, NULL, NULL, &tsz};
        CHECK(fail_case(13, NULL, 0, 4, in, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "sizes[1] = -2 is invalid") != NULL);
        CHECK(fail_case(13, &bicubic, 1, 4, in, &err) == STATUS_UNSUPPORTED);
        CHECK(strstr(err.message, "attribute 'mode' = 'bicubic' is not supported") != NULL);
    }
    {
        const tensor_t *in[] = {&tx, NULL, NULL, &tsz_ok};
        CHECK(fail_case(13, &crop, 1, 4, in, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "tf_crop_and_resize needs input 'roi'") != NULL);
    }
    {
        const tensor_t *in[] = {&txi, NULL, NULL, &tsz};
        CHECK(fail_case(13, &linear, 1, 4, in, &err) == STATUS_UNSUPPORTED);
        CHECK(strstr(err.message,
                     "mode linear is implemented for float and double only, not int64") != NULL);
    }
}

int main(void)
{
    test_linear_mixed_axes();
    test_cubic();
    test_pytorch_half_pixel_single_output();
    test_nearest_modes();
    test_nearest_integer_types();
    test_legacy_forms();
    test_crop_and_extrapolate_and_identity();
    test_failures();
    CHECK_DONE();
}
