/*
 * norm.h - normalisations: BatchNormalization (inference form, and the
 * opset 14+ training form with batch statistics), InstanceNormalization,
 * LayerNormalization and GroupNormalization.
 */
#ifndef INFERD_NORM_H
#define INFERD_NORM_H

#include "op.h"

typedef struct batchnorm_params {
    float epsilon;
    /* Legacy spatial=0 (before opset 9): statistics per C x D1 x ... element, not per channel. */
    bool per_element;
    /*
     * training_mode=1 (opset 14+): normalise with the batch's own mean and
     * variance, and output running statistics blended with momentum.
     */
    bool training;
    float momentum;
} batchnorm_params_t;

typedef struct instancenorm_params {
    float epsilon;
} instancenorm_params_t;

typedef struct layernorm_params {
    int64_t axis;
    float epsilon;
} layernorm_params_t;

typedef struct groupnorm_params {
    float epsilon;
    int64_t num_groups;
    /* Opset 21: scale and bias hold one value per channel; opset 18: one per group. */
    bool per_channel;
    /*
     * Opset 21 stash_type=1 (the default): the spec runs stage one (mean,
     * variance, normalising) in float whatever X's type, then casts back to
     * T for the scale and bias. Matters for double X only.
     */
    bool stash_float;
} groupnorm_params_t;

extern const op_kernel_t batchnorm_kernel;
extern const op_kernel_t groupnorm_kernel;
extern const op_kernel_t instancenorm_kernel;
extern const op_kernel_t layernorm_kernel;

/* CPU implementations (norm_cpu.c). */
status_t batchnorm_run(op_call_t *call, error_t *err);
status_t instancenorm_run(op_call_t *call, error_t *err);
status_t layernorm_run(op_call_t *call, error_t *err);
status_t groupnorm_run(op_call_t *call, error_t *err);

/*
 * The same on double X (norm_f64.c; every float input double too). Workspaces:
 * batchnorm 2 * channels doubles (training), layernorm 2 * the normalised
 * size; axis is LayerNormalization's, normalised.
 */
status_t batchnorm_run_f64(op_call_t *call);
status_t instancenorm_run_f64(op_call_t *call);
status_t groupnorm_run_f64(op_call_t *call);
status_t layernorm_run_f64(op_call_t *call, int axis);

/*
 * Folds the running statistics into y = x * mul + add:
 * mul = scale / sqrt(var + eps), add = bias - mean * mul, for count entries.
 */
void batchnorm_fold(const float *scale, const float *bias, const float *mean, const float *var,
                    float epsilon, int64_t count, float *mul, float *add);

/*
 * Per-channel mean and population variance of x [batch, channels, spatial],
 * into mean[c] and var[c].
 */
void batchnorm_moments_f32(const float *x, int64_t batch, int64_t channels, int64_t spatial,
                           float *mean, float *var);

/* y[b][c][s] = x[b][c][s] * mul[c] + add[c] for x of [batch, channels, spatial]. */
void batchnorm_f32(const float *x, float *y, const float *mul, const float *add, int64_t batch,
                   int64_t channels, int64_t spatial);

/* Normalises each of the batch * channels rows of spatial elements, then scales per channel. */
void instancenorm_f32(const float *x, float *y, const float *scale, const float *bias,
                      int64_t batch, int64_t channels, int64_t spatial, float epsilon);

/*
 * GroupNormalization of x [batch, channels, spatial]: the channels form
 * groups consecutive blocks (groups divides channels), each normalised over
 * its channels and positions together, then y = norm * scale + bias with
 * scale and bias indexed by channel (per_channel) or by group.
 */
void groupnorm_f32(const float *x, float *y, const float *scale, const float *bias, int64_t batch,
                   int64_t channels, int64_t spatial, int64_t groups, bool per_channel,
                   float epsilon);

/*
 * Normalises each of the outer rows of inner elements and applies
 * y = norm * scale[j] + bias[j] (bias may be NULL). mean and inv_std_dev
 * (either may be NULL) receive one value per row. Rows are shared among
 * threads OpenMP threads.
 */
void layernorm_f32(const float *x, float *y, const float *scale, const float *bias, int64_t outer,
                   int64_t inner, float epsilon, float *mean, float *inv_std_dev, int threads);

#endif
