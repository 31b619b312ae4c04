/*
 * sort.h - stable sorting of element indices by a caller's order, and
 * per-dtype element comparisons, for TopK, Unique and NonMaxSuppression.
 */
#ifndef INFERD_SORT_H
#define INFERD_SORT_H

#include <stdint.h>

#include "dtype.h"

/* Negative, zero or positive as item a orders before, with or after item b. */
typedef int (*sort_cmp_fn)(const void *ctx, int64_t a, int64_t b);

/*
 * Sorts idx[0..n) by cmp, stably (equal items keep their order), with tmp
 * holding n more entries. A merge sort: O(n log n) whatever the order.
 */
void sort_indices(int64_t *idx, int64_t *tmp, int64_t n, sort_cmp_fn cmp, const void *ctx);

/* Compares two elements of dtype t (numeric, double or bool): -1, 0 or 1. NaN sorts last. */
typedef int (*sort_elem_cmp_fn)(const void *a, const void *b);

/* The comparison for t, or NULL for a dtype it does not order. */
sort_elem_cmp_fn sort_elem_cmp(dtype_t t);

#endif
