/*
 * tfidf.h - TfIdfVectorizer on integer tokens: counts, per row of X ([C]
 * or [N, C]), the n-grams of the pool (n in [min_gram_length,
 * max_gram_length], tokens taken every skip + 1 positions for each skip up
 * to max_skip_count; a unigram counts once whatever the skip). The k-th
 * pool n-gram counts into output slot ngram_indexes[k]. Mode TF keeps
 * counts, IDF gives weights[k] (default 1) where the count is non-zero,
 * TFIDF count * weights[k]; weights are per pool n-gram, as the spec's text
 * says. String pools are outside inferd's dtypes.
 */
#ifndef INFERD_TFIDF_H
#define INFERD_TFIDF_H

#include "op.h"

typedef enum tfidf_mode {
    TFIDF_TF = 0,
    TFIDF_IDF,
    TFIDF_TFIDF,
} tfidf_mode_t;

typedef struct tfidf_params {
    tfidf_mode_t mode;
    int64_t min_gram, max_gram, max_skip;
    /* The attribute arrays, owned by the model. */
    const int64_t *ngram_counts, *ngram_indexes, *pool;
    const float *weights; /* NULL: all 1 */
    int64_t n_counts, n_ngrams, n_pool;
    int64_t out_size; /* max(ngram_indexes) + 1 */
} tfidf_params_t;

extern const op_kernel_t tfidf_kernel;

/* One row of c tokens (int32 or int64 tensor data from element `first`) into y[out_size]. */
void tfidf_row(const tfidf_params_t *p, const tensor_t *x, int64_t first, int64_t c, float *y);

/* CPU implementation (tfidf_cpu.c). */
status_t tfidf_run(op_call_t *call, error_t *err);

#endif
