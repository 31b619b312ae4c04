#include "window.h"

#include <string.h>

status_t window_adapt_auto_pad(const op_adapt_t *a, window_auto_pad_t *out, error_t *err)
{
    static const char *const names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    const char *s;
    status_t st = adapt_string(a, "auto_pad", "NOTSET", &s, err);

    if (st)
        return st;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (window_auto_pad_t)i;
            return STATUS_OK;
        }
    return op_adapt_fail(a, err,
                         "attribute 'auto_pad' = '%s' is not one of NOTSET, SAME_UPPER, "
                         "SAME_LOWER, VALID",
                         s);
}

status_t window_check_list(const op_call_t *call, const char *name, int count, int expected,
                           const int64_t *values, int64_t min, int64_t max, error_t *err)
{
    if (count <= 0)
        return STATUS_OK;
    if (count != expected)
        return op_call_fail(call, err, "attribute '%s' has %d values, expected %d", name, count,
                            expected);
    for (int i = 0; i < count; i++)
        if (values[i] < min || values[i] > max)
            return op_call_fail(call, err, "attribute '%s'[%d] = %lld is outside [%lld, %lld]",
                                name, i, (long long)values[i], (long long)min, (long long)max);
    return STATUS_OK;
}

void window_same_pads(window_auto_pad_t mode, int64_t in, int64_t stride, int64_t extent,
                      int64_t *pad_begin, int64_t *pad_end)
{
    int64_t out = (in + stride - 1) / stride;
    int64_t total = (out - 1) * stride + extent - in;

    if (total < 0)
        total = 0;
    *pad_end = mode == WINDOW_AUTO_PAD_SAME_LOWER ? total / 2 : total - total / 2;
    *pad_begin = total - *pad_end;
}
