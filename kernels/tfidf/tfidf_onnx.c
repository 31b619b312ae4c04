/*
 * ONNX adapter: TfIdfVectorizer 9. The pool and its tables are checked here
 * once, so the run can index them freely.
 */
#include "tfidf.h"

#include <string.h>

/* Longest n-gram: more tokens than this per gram is no text model's. */
#define TFIDF_MAX_GRAM 64

static const attr_t *find(const op_adapt_t *a, const char *name, attr_type_t type)
{
    const attr_t *at = attrs_find(a->attrs, name);
    return at && at->type == type ? at : NULL;
}

static status_t adapt_tfidf(const op_adapt_t *a, void *params, error_t *err)
{
    tfidf_params_t *p = params;
    const attr_t *counts = find(a, "ngram_counts", ATTR_INTS);
    const attr_t *indexes = find(a, "ngram_indexes", ATTR_INTS);
    const attr_t *pool = find(a, "pool_int64s", ATTR_INTS);
    const attr_t *weights = find(a, "weights", ATTR_FLOATS);
    const char *mode;
    status_t st = adapt_string(a, "mode", "", &mode, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "min_gram_length", 0, &p->min_gram, err);
    if (st == STATUS_OK)
        st = adapt_int(a, "max_gram_length", 0, &p->max_gram, err);
    if (st == STATUS_OK)
        st = adapt_int(a, "max_skip_count", 0, &p->max_skip, err);
    if (st != STATUS_OK)
        return st;
    if (adapt_has(a, "pool_strings"))
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "pool_strings: string tensors are outside inferd's dtypes");
    if (strcmp(mode, "TF") == 0)
        p->mode = TFIDF_TF;
    else if (strcmp(mode, "IDF") == 0)
        p->mode = TFIDF_IDF;
    else if (strcmp(mode, "TFIDF") == 0)
        p->mode = TFIDF_TFIDF;
    else
        return op_adapt_fail(a, err, "mode '%s' is not TF, IDF or TFIDF", mode);
    if (!counts || !indexes || !pool)
        return op_adapt_fail(a, err, "ngram_counts, ngram_indexes and pool_int64s are required");
    if (p->min_gram < 1 || p->max_gram < p->min_gram || p->max_gram > TFIDF_MAX_GRAM ||
        p->max_skip < 0 || p->max_skip > TENSOR_MAX_ELEMENTS)
        return op_adapt_fail(a, err,
                             "need 1 <= min_gram_length (%lld) <= max_gram_length (%lld) <= %d "
                             "and max_skip_count (%lld) >= 0",
                             (long long)p->min_gram, (long long)p->max_gram, TFIDF_MAX_GRAM,
                             (long long)p->max_skip);
    p->ngram_counts = counts->ints;
    p->n_counts = (int64_t)counts->count;
    p->ngram_indexes = indexes->ints;
    p->n_ngrams = (int64_t)indexes->count;
    p->pool = pool->ints;
    p->n_pool = (int64_t)pool->count;
    p->weights = weights ? weights->floats : NULL;
    /* The pool splits into whole n-grams by length, and there is one index per n-gram. */
    {
        int64_t grams = 0;
        for (int64_t i = 0; i < p->n_counts; i++) {
            const int64_t begin = p->ngram_counts[i];
            const int64_t end = i + 1 < p->n_counts ? p->ngram_counts[i + 1] : p->n_pool;
            if (begin < 0 || end < begin || end > p->n_pool || (end - begin) % (i + 1) != 0)
                return op_adapt_fail(a, err,
                                     "ngram_counts[%lld] = %lld does not start a run of whole "
                                     "%lld-grams in a pool of %lld",
                                     (long long)i, (long long)begin, (long long)(i + 1),
                                     (long long)p->n_pool);
            grams += (end - begin) / (i + 1);
        }
        if (p->n_counts > 0 && p->ngram_counts[0] != 0)
            return op_adapt_fail(a, err, "ngram_counts must start at 0");
        if (grams != p->n_ngrams)
            return op_adapt_fail(a, err, "the pool holds %lld n-grams, ngram_indexes %lld",
                                 (long long)grams, (long long)p->n_ngrams);
    }
    if (weights && (int64_t)weights->count != p->n_ngrams)
        return op_adapt_fail(a, err, "weights has %zu values for %lld n-grams", weights->count,
                             (long long)p->n_ngrams);
    p->out_size = 0;
    for (int64_t k = 0; k < p->n_ngrams; k++) {
        if (p->ngram_indexes[k] < 0 || p->ngram_indexes[k] >= TENSOR_MAX_ELEMENTS)
            return op_adapt_fail(a, err, "ngram_indexes[%lld] = %lld is out of range", (long long)k,
                                 (long long)p->ngram_indexes[k]);
        if (p->ngram_indexes[k] + 1 > p->out_size)
            p->out_size = p->ngram_indexes[k] + 1;
    }
    return STATUS_OK;
}

const op_schema_t op_schemas_tfidf[] = {
    {"TfIdfVectorizer", 9, OPSET_MAX, adapt_tfidf, &tfidf_kernel},
    {0},
};
