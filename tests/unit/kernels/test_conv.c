/*
 * Unit tests of the conv family: Conv and ConvTranspose (im2col, col2im,
 * the pointwise GEMM path and the direct depthwise path) against naive
 * direct loops, over groups, dilations, strides, asymmetric pads, auto_pad
 * and 1-D to 3-D shapes; and the prototype's failure messages.
 */
#include "conv/conv.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define MAX_ATTRS 8

/* A convolution described with 3 spatial dims (leading ones are 1 for 1-D and 2-D). */
typedef struct ref_conv {
    int64_t n, c, m, group;
    int64_t in[3], k[3], s[3], d[3], pad[3], out[3];
} ref_conv_t;

/* Direct loops: y[n][m][o] = b[m] + sum x[n][c][o * s - pad + k * d] * w[m][c][k]. */
static void ref_conv_f32(const ref_conv_t *r, const float *x, const float *w, const float *b,
                         float *y)
{
    int64_t cg = r->c / r->group, mg = r->m / r->group;
    for (int64_t n = 0; n < r->n; n++)
        for (int64_t m = 0; m < r->m; m++)
            for (int64_t od = 0; od < r->out[0]; od++)
                for (int64_t oh = 0; oh < r->out[1]; oh++)
                    for (int64_t ow = 0; ow < r->out[2]; ow++) {
                        double acc = b ? b[m] : 0.0;
                        int64_t g = m / mg;
                        for (int64_t c = 0; c < cg; c++)
                            for (int64_t kd = 0; kd < r->k[0]; kd++)
                                for (int64_t kh = 0; kh < r->k[1]; kh++)
                                    for (int64_t kw = 0; kw < r->k[2]; kw++) {
                                        int64_t id = od * r->s[0] - r->pad[0] + kd * r->d[0];
                                        int64_t ih = oh * r->s[1] - r->pad[1] + kh * r->d[1];
                                        int64_t iw = ow * r->s[2] - r->pad[2] + kw * r->d[2];
                                        if (id < 0 || id >= r->in[0] || ih < 0 || ih >= r->in[1] ||
                                            iw < 0 || iw >= r->in[2])
                                            continue;
                                        acc += x[(((n * r->c + g * cg + c) * r->in[0] + id) *
                                                      r->in[1] +
                                                  ih) *
                                                     r->in[2] +
                                                 iw] *
                                               w[(((m * cg + c) * r->k[0] + kd) * r->k[1] + kh) *
                                                     r->k[2] +
                                                 kw];
                                    }
                        y[(((n * r->m + m) * r->out[0] + od) * r->out[1] + oh) * r->out[2] + ow] =
                            (float)acc;
                    }
}

/* Direct scatter: y[n][m][i * s - pad + k * d] += x[n][c][i] * w[c][m][k]; in is X's size. */
static void ref_conv_transpose_f32(const ref_conv_t *r, const float *x, const float *w,
                                   const float *b, float *y)
{
    int64_t cg = r->c / r->group, mg = r->m / r->group;
    int64_t out_size = r->out[0] * r->out[1] * r->out[2];
    for (int64_t n = 0; n < r->n; n++)
        for (int64_t m = 0; m < r->m; m++)
            for (int64_t i = 0; i < out_size; i++)
                y[(n * r->m + m) * out_size + i] = b ? b[m] : 0.0f;
    for (int64_t n = 0; n < r->n; n++)
        for (int64_t c = 0; c < r->c; c++)
            for (int64_t id = 0; id < r->in[0]; id++)
                for (int64_t ih = 0; ih < r->in[1]; ih++)
                    for (int64_t iw = 0; iw < r->in[2]; iw++)
                        for (int64_t m = 0; m < mg; m++)
                            for (int64_t kd = 0; kd < r->k[0]; kd++)
                                for (int64_t kh = 0; kh < r->k[1]; kh++)
                                    for (int64_t kw = 0; kw < r->k[2]; kw++) {
                                        int64_t od = id * r->s[0] - r->pad[0] + kd * r->d[0];
                                        int64_t oh = ih * r->s[1] - r->pad[1] + kh * r->d[1];
                                        int64_t ow = iw * r->s[2] - r->pad[2] + kw * r->d[2];
                                        int64_t g = c / cg;
                                        if (od < 0 || od >= r->out[0] || oh < 0 ||
                                            oh >= r->out[1] || ow < 0 || ow >= r->out[2])
                                            continue;
                                        y[(((n * r->m + g * mg + m) * r->out[0] + od) * r->out[1] +
                                           oh) *
                                              r->out[2] +
                                          ow] +=
                                            x[(((n * r->c + c) * r->in[0] + id) * r->in[1] + ih) *
                                                  r->in[2] +
                                              iw] *
                                            w[(((c * mg + m) * r->k[0] + kd) * r->k[1] + kh) *
                                                  r->k[2] +
                                              kw];
                                    }
}

/* Runs op_type with the given attributes on random data and compares with the reference. */
static void check_against_ref(const char *op_type, const ref_conv_t *r, int nd, const attr_t *attrs,
                              size_t n_attrs, bool bias)
{
    bool transpose = strcmp(op_type, "ConvTranspose") == 0;
    int64_t xd[5] = {r->n, r->c}, wd[5], yd[5] = {r->n, r->m}, bd[1] = {r->m};
    int64_t x_n = r->n * r->c,
            w_n = transpose ? r->c * (r->m / r->group) : r->m * (r->c / r->group);
    int64_t y_n = r->n * r->m;
    wd[0] = transpose ? r->c : r->m;
    wd[1] = transpose ? r->m / r->group : r->c / r->group;
    for (int i = 0; i < nd; i++) {
        int j = 3 - nd + i;
        xd[2 + i] = r->in[j];
        wd[2 + i] = r->k[j];
        yd[2 + i] = r->out[j];
        x_n *= r->in[j];
        w_n *= r->k[j];
        y_n *= r->out[j];
    }
    float *x = harness_random_floats(x_n, 1), *w = harness_random_floats(w_n, 2),
          *b = harness_random_floats(r->m, 3);
    float *expect = malloc((size_t)y_n * sizeof *expect);
    tensor_t tx = harness_tensor(DTYPE_FLOAT, nd + 2, xd, x),
             tw = harness_tensor(DTYPE_FLOAT, nd + 2, wd, w),
             tb = harness_tensor(DTYPE_FLOAT, 1, bd, b), ty;
    const tensor_t *in[] = {&tx, &tw, &tb};
    error_t err;

    if (transpose)
        ref_conv_transpose_f32(r, x, w, bias ? b : NULL, expect);
    else
        ref_conv_f32(r, x, w, bias ? b : NULL, expect);
    CHECK(harness_run(op_type, 11, attrs, n_attrs, bias ? 3 : 2, in, 1, &ty, &err) == STATUS_OK);
    CHECK(shape_equal(ty.rank, ty.dims, nd + 2, yd));
    if (ty.data && shape_equal(ty.rank, ty.dims, nd + 2, yd))
        for (int64_t i = 0; i < y_n; i++)
            CHECK_NEAR(((float *)ty.data)[i], expect[i], 1e-4);
    free(ty.data);
    free(x);
    free(w);
    free(b);
    free(expect);
}

static void test_conv_2d_groups_dilations(void)
{
    /* in 7x9, k 3x2, s (2,1), d (1,2), pads (1,0) begin / (2,1) end. */
    ref_conv_t r = {.n = 2,
                    .c = 4,
                    .m = 6,
                    .group = 2,
                    .in = {1, 7, 9},
                    .k = {1, 3, 2},
                    .s = {1, 2, 1},
                    .d = {1, 1, 2},
                    .pad = {0, 1, 0},
                    .out = {1, 4, 8}};
    int64_t strides[] = {2, 1}, dilations[] = {1, 2}, pads[] = {1, 0, 2, 1}, group = 2;
    attr_t attrs[] = {harness_ints_attr("strides", strides, 2),
                      harness_ints_attr("dilations", dilations, 2),
                      harness_ints_attr("pads", pads, 4),
                      {.name = "group", .type = ATTR_INT, .i = group}};
    check_against_ref("Conv", &r, 2, attrs, 4, true);
}

static void test_conv_pointwise(void)
{
    /* 1x1, stride 1, no pad: the GEMM runs on X directly. */
    ref_conv_t r = {.n = 2,
                    .c = 3,
                    .m = 5,
                    .group = 1,
                    .in = {1, 4, 5},
                    .k = {1, 1, 1},
                    .s = {1, 1, 1},
                    .d = {1, 1, 1},
                    .pad = {0, 0, 0},
                    .out = {1, 4, 5}};
    check_against_ref("Conv", &r, 2, NULL, 0, true);
    check_against_ref("Conv", &r, 2, NULL, 0, false);
}

static void test_conv_3d_depthwise(void)
{
    ref_conv_t r = {.n = 1,
                    .c = 3,
                    .m = 3,
                    .group = 3,
                    .in = {4, 5, 3},
                    .k = {2, 2, 2},
                    .s = {1, 2, 1},
                    .d = {1, 1, 1},
                    .pad = {1, 1, 1},
                    .out = {5, 3, 4}};
    int64_t strides[] = {1, 2, 1}, pads[] = {1, 1, 1, 1, 1, 1};
    attr_t attrs[] = {harness_ints_attr("strides", strides, 3),
                      harness_ints_attr("pads", pads, 6),
                      {.name = "group", .type = ATTR_INT, .i = 3}};
    check_against_ref("Conv", &r, 3, attrs, 3, true);
}

static void test_conv_depthwise_strided(void)
{
    /* H: 6 + 2 + 1 - 5 = 4, + 1 = 5. W: 9 + 1 + 0 - 3 = 7, 7 / 2 + 1 = 4. */
    ref_conv_t r = {.n = 2,
                    .c = 4,
                    .m = 4,
                    .group = 4,
                    .in = {1, 6, 9},
                    .k = {1, 3, 3},
                    .s = {1, 1, 2},
                    .d = {1, 2, 1},
                    .pad = {0, 2, 1},
                    .out = {1, 5, 4}};
    int64_t strides[] = {1, 2}, dilations[] = {2, 1}, pads[] = {2, 1, 1, 0};
    attr_t attrs[] = {harness_ints_attr("strides", strides, 2),
                      harness_ints_attr("dilations", dilations, 2),
                      harness_ints_attr("pads", pads, 4),
                      {.name = "group", .type = ATTR_INT, .i = 4}};
    check_against_ref("Conv", &r, 2, attrs, 4, true);
}

static void test_conv_1d_same_lower(void)
{
    /* in 10, k 4, s 3: out 4, total pad (4-1)*3+4-10 = 3, SAME_LOWER puts 2 first. */
    ref_conv_t r = {.n = 1,
                    .c = 2,
                    .m = 2,
                    .group = 1,
                    .in = {1, 1, 10},
                    .k = {1, 1, 4},
                    .s = {1, 1, 3},
                    .d = {1, 1, 1},
                    .pad = {0, 0, 2},
                    .out = {1, 1, 4}};
    int64_t strides[] = {3};
    attr_t attrs[] = {harness_ints_attr("strides", strides, 1),
                      {.name = "auto_pad", .type = ATTR_STRING, .s = "SAME_LOWER"}};
    check_against_ref("Conv", &r, 1, attrs, 2, false);
}

static void test_conv_transpose_2d(void)
{
    /* full size: s * (in - 1) + op + (k - 1) * d + 1 - pads. */
    ref_conv_t r = {.n = 2,
                    .c = 4,
                    .m = 6,
                    .group = 2,
                    .in = {1, 3, 4},
                    .k = {1, 3, 2},
                    .s = {1, 2, 3},
                    .d = {1, 2, 1},
                    .pad = {0, 1, 0},
                    .out = {1, 9, 9}};
    int64_t strides[] = {2, 3}, dilations[] = {2, 1}, pads[] = {1, 0, 0, 2};
    int64_t output_padding[] = {1, 0};
    attr_t attrs[] = {harness_ints_attr("strides", strides, 2),
                      harness_ints_attr("dilations", dilations, 2),
                      harness_ints_attr("pads", pads, 4),
                      harness_ints_attr("output_padding", output_padding, 2),
                      {.name = "group", .type = ATTR_INT, .i = 2}};
    check_against_ref("ConvTranspose", &r, 2, attrs, 5, true);
}

static void test_conv_transpose_pointwise_and_output_shape(void)
{
    ref_conv_t r = {.n = 1,
                    .c = 3,
                    .m = 2,
                    .group = 1,
                    .in = {1, 2, 5},
                    .k = {1, 1, 1},
                    .s = {1, 1, 1},
                    .d = {1, 1, 1},
                    .pad = {0, 0, 0},
                    .out = {1, 2, 5}};
    int64_t output_shape[] = {4, 6};
    attr_t attrs[] = {harness_ints_attr("output_shape", output_shape, 2)};

    check_against_ref("ConvTranspose", &r, 2, NULL, 0, true);
    /* An output_shape past the full size leaves the extra rows and columns at the bias. */
    r.out[1] = 4;
    r.out[2] = 6;
    check_against_ref("ConvTranspose", &r, 2, attrs, 1, true);
}

/* Runs op_type on shapes only and returns the failure message. */
static status_t fail_case(const char *op_type, const attr_t *attrs, size_t n_attrs, int rank,
                          const int64_t *xd, const int64_t *wd, const int64_t *bd, error_t *err)
{
    static float data[4096];
    tensor_t tx = harness_tensor(DTYPE_FLOAT, rank, xd, data),
             tw = harness_tensor(DTYPE_FLOAT, rank, wd, data), tb, ty;
    const tensor_t *in[] = {&tx, &tw, &tb};
    status_t st;

    if (bd)
        tb = harness_tensor(DTYPE_FLOAT, 1, bd, data);
    st = harness_run(op_type, 11, attrs, n_attrs, bd ? 3 : 2, in, 1, &ty, err);
    free(ty.data);
    return st;
}

static void test_failures(void)
{
    int64_t x[] = {1, 4, 5, 5}, w_bad_group[] = {6, 3, 3, 3}, w[] = {6, 2, 2, 2};
    int64_t bias_bad[] = {5}, kernel[] = {3, 3}, strides3[] = {1, 1, 1}, dil0[] = {0, 1};
    int64_t x6[] = {1, 1, 2, 2, 2, 2}, w6[] = {1, 1, 1, 1, 1, 1};
    int64_t x_small[] = {1, 1, 2, 2}, w3[] = {1, 1, 3, 3};
    int64_t wt[] = {4, 2, 2, 2}, strides2[] = {2, 2}, op2[] = {2, 0};
    attr_t group2 = {.name = "group", .type = ATTR_INT, .i = 2};
    attr_t a;
    error_t err;

    CHECK(fail_case("Conv", &group2, 1, 4, x, w_bad_group, NULL, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Conv node 'n0': input X [1,4,5,5] and weights W [6,3,3,3] do "
                              "not agree with group 2") != NULL);

    a = harness_ints_attr("kernel_shape", kernel, 2);
    CHECK(fail_case("Conv", &a, 1, 4, x, w, NULL, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "attribute 'kernel_shape'[0] = 3 does not match weights W "
                              "[6,2,2,2]") != NULL);

    CHECK(fail_case("Conv", &group2, 1, 4, x, w, bias_bad, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Conv node 'n0': bias B [5] must have shape [6]") != NULL);

    a = harness_ints_attr("strides", strides3, 3);
    CHECK(fail_case("Conv", &a, 1, 4, x, w, NULL, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "attribute 'strides' has 3 values, expected 2") != NULL);

    a = harness_ints_attr("dilations", dil0, 2);
    CHECK(fail_case("Conv", &a, 1, 4, x, w, NULL, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "attribute 'dilations'[0] = 0 is outside") != NULL);

    CHECK(fail_case("Conv", NULL, 0, 6, x6, w6, NULL, &err) == STATUS_UNSUPPORTED);
    CHECK(strstr(err.message, "Conv node 'n0': input X [1,1,2,2,2,2]: at most 3 spatial dims") !=
          NULL);

    CHECK(fail_case("Conv", NULL, 0, 4, x_small, w3, NULL, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "kernel extent 3 exceeds the padded input size 2") != NULL);

    a = (attr_t){.name = "auto_pad", .type = ATTR_STRING, .s = "SAME"};
    CHECK(fail_case("Conv", &a, 1, 4, x, w, NULL, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Conv node 'n0': attribute 'auto_pad' = 'SAME' is not one of") !=
          NULL);

    {
        attr_t attrs[] = {harness_ints_attr("strides", strides2, 2),
                          harness_ints_attr("output_padding", op2, 2)};
        CHECK(fail_case("ConvTranspose", attrs, 2, 4, x, wt, NULL, &err) ==
              STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "ConvTranspose node 'n0': attribute 'output_padding'[0] = 2 "
                                  "must be less than the stride") != NULL);
    }
}

int main(void)
{
    test_conv_2d_groups_dilations();
    test_conv_pointwise();
    test_conv_3d_depthwise();
    test_conv_depthwise_strided();
    test_conv_1d_same_lower();
    test_conv_transpose_2d();
    test_conv_transpose_pointwise_and_output_shape();
    test_failures();
    CHECK_DONE();
}
