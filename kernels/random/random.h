/*
 * random.h - the random ops: RandomUniform, RandomNormal (shape from the
 * attribute), RandomUniformLike, RandomNormalLike (shape of the input),
 * Bernoulli (1 with the input's probability) and Multinomial (samples of
 * class indices from unnormalised log-probabilities).
 *
 * Values come from splitmix64. With the seed attribute the generator
 * starts from the seed on every run, so a seeded node gives the same
 * values each time; without it each run draws a fresh stream (a process-
 * wide counter mixed with the clock). The engine never folds these ops
 * (op_kernel_t.random). No runtime reproduces another's streams, so the
 * ONNX node tests can only check shapes, dtypes and value domains.
 */
#ifndef INFERD_RANDOM_H
#define INFERD_RANDOM_H

#include "op.h"

/* Most samples per Multinomial row. */
#define RANDOM_MAX_SAMPLES (INT64_C(1) << 24)

typedef enum random_kind {
    RANDOM_UNIFORM = 0,
    RANDOM_NORMAL,
    RANDOM_BERNOULLI,
    RANDOM_MULTINOMIAL,
} random_kind_t;

typedef struct random_params {
    random_kind_t kind;
    bool like;     /* the shape is input 0's */
    dtype_t dtype; /* DTYPE_UNDEFINED: input 0's (Like ops, Bernoulli) */
    float a, b;    /* low, high (uniform) or mean, scale (normal) */
    bool seeded;
    float seed;
    int64_t shape[TENSOR_MAX_RANK]; /* RandomUniform and RandomNormal */
    int rank;
    int64_t sample_size; /* Multinomial */
} random_params_t;

extern const op_kernel_t random_kernel;
extern const op_kernel_t bernoulli_kernel;
extern const op_kernel_t multinomial_kernel;

/* A splitmix64 stream. */
typedef struct random_stream {
    uint64_t state;
} random_stream_t;

/* Starts a stream at seed (seeded) or at a fresh point. */
void random_stream_init(random_stream_t *s, bool seeded, float seed);
/* A double uniform in [0, 1), with 53 random bits. */
double random_uniform(random_stream_t *s);
/* A standard normal double (Box-Muller). */
double random_normal(random_stream_t *s);

/* CPU implementations (random_cpu.c). */
status_t random_run(op_call_t *call, error_t *err);
status_t bernoulli_run(op_call_t *call, error_t *err);
status_t multinomial_run(op_call_t *call, error_t *err);

#endif
