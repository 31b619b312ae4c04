/*
 * tfidf_cpu.c - TfIdfVectorizer: every start position, gram length and
 * skip of a row is looked up among the pool's n-grams of that length (a
 * linear scan of the pool's slice for that length).
 */
#include "tfidf.h"

#include <string.h>

/* Global index of the first pool n-gram of length n, and how many there are. */
static void pool_slice(const tfidf_params_t *p, int64_t n, int64_t *first_ngram, int64_t *count,
                       int64_t *start)
{
    int64_t k = 0;

    for (int64_t len = 1; len < n; len++) {
        const int64_t begin = p->ngram_counts[len - 1];
        const int64_t end = len < p->n_counts ? p->ngram_counts[len] : p->n_pool;
        k += (end - begin) / len;
    }
    *start = n <= p->n_counts ? p->ngram_counts[n - 1] : p->n_pool;
    *count =
        n <= p->n_counts ? ((n < p->n_counts ? p->ngram_counts[n] : p->n_pool) - *start) / n : 0;
    *first_ngram = k;
}

void tfidf_row(const tfidf_params_t *p, const tensor_t *x, int64_t first, int64_t c, float *y)
{
    memset(y, 0, (size_t)p->out_size * sizeof *y);
    for (int64_t n = p->min_gram; n <= p->max_gram; n++) {
        int64_t base, count, start;
        pool_slice(p, n, &base, &count, &start);
        /* A skip that leaves no room for a second token finds nothing: stop there. */
        const int64_t max_skip = n == 1 ? 0 : p->max_skip < c ? p->max_skip : c;
        for (int64_t skip = 0; skip <= max_skip; skip++) {
            const int64_t step = skip + 1;
            for (int64_t s = 0; s + (n - 1) * step < c; s++) {
                for (int64_t g = 0; g < count; g++) {
                    const int64_t *gram = p->pool + start + g * n;
                    int64_t j = 0;
                    while (j < n && tensor_get_index(x, first + s + j * step) == gram[j])
                        j++;
                    if (j == n) {
                        y[p->ngram_indexes[base + g]] += 1.0f;
                        break;
                    }
                }
            }
        }
    }
}

status_t tfidf_run(op_call_t *call, error_t *err)
{
    const tfidf_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    float *y = call->outputs[0].data;
    const int64_t rows = x->rank == 2 ? x->dims[0] : 1, c = x->dims[x->rank - 1];

    (void)err;
    for (int64_t r = 0; r < rows; r++) {
        float *row = y + r * p->out_size;
        tfidf_row(p, x, r * c, c, row);
        if (p->mode == TFIDF_TF)
            continue;
        /* Weights belong to pool n-grams; ngram_indexes says which slot each one fills. */
        for (int64_t k = 0; k < p->n_ngrams; k++) {
            float *v = &row[p->ngram_indexes[k]];
            const float w = p->weights ? p->weights[k] : 1.0f;
            if (p->mode == TFIDF_IDF)
                *v = *v > 0 ? w : 0.0f;
            else
                *v *= w;
        }
    }
    return STATUS_OK;
}
