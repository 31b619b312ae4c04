#include "tensor.h"

#include <stdio.h>

int64_t tensor_numel(const tensor_t *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dims[i];
    return n;
}

size_t tensor_bytes(const tensor_t *t)
{
    return (size_t)tensor_numel(t) * dtype_size(t->dtype);
}

bool shape_valid(int rank, const int64_t *dims, int64_t *numel)
{
    int64_t n = 1;
    bool empty = false;

    if (rank < 0 || rank > TENSOR_MAX_RANK)
        return false;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > TENSOR_MAX_ELEMENTS)
            return false;
        if (dims[i] == 0) {
            empty = true;
            continue;
        }
        /*
         * The non-zero dims of an empty tensor are bounded too, so strides
         * stay in range. Divide first: n and dims[i] are each up to 2^32.
         */
        if (n > TENSOR_MAX_ELEMENTS / dims[i])
            return false;
        n *= dims[i];
    }
    if (numel)
        *numel = empty ? 0 : n;
    return true;
}

bool shape_equal(int rank_a, const int64_t *a, int rank_b, const int64_t *b)
{
    if (rank_a != rank_b)
        return false;
    for (int i = 0; i < rank_a; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

bool shape_broadcast(int rank_a, const int64_t *a, int rank_b, const int64_t *b, int *rank_out,
                     int64_t *out)
{
    int rank = rank_a > rank_b ? rank_a : rank_b;

    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - rank_a);
        int ib = i - (rank - rank_b);
        int64_t da = ia >= 0 ? a[ia] : 1;
        int64_t db = ib >= 0 ? b[ib] : 1;
        if (da == db || db == 1)
            out[i] = da;
        else if (da == 1)
            out[i] = db;
        else
            return false;
    }
    *rank_out = rank;
    return true;
}

void shape_broadcast_strides(int rank, const int64_t *dims, int out_rank, const int64_t *out,
                             int64_t *strides)
{
    int64_t stride = 1;

    for (int i = out_rank - 1; i >= 0; i--) {
        int src = i - (out_rank - rank);
        if (src < 0 || (dims[src] == 1 && out[i] != 1)) {
            strides[i] = 0;
        } else {
            strides[i] = stride;
            stride *= dims[src];
        }
    }
}

void shape_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = stride;
        stride *= dims[i];
    }
}

bool axis_normalize(int64_t axis, int rank, bool inclusive_end, int *out)
{
    int64_t limit = inclusive_end ? rank + 1 : rank;

    if (axis < -limit || axis >= limit)
        return false;
    *out = (int)(axis < 0 ? axis + limit : axis);
    return true;
}

const char *shape_format(int rank, const int64_t *dims, char *buf, size_t size)
{
    size_t used = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

int64_t tensor_get_index(const tensor_t *t, int64_t i)
{
    if (t->dtype == DTYPE_INT32)
        return ((const int32_t *)t->data)[i];
    return ((const int64_t *)t->data)[i];
}
