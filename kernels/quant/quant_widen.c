/* quant_widen.c - integer operands widened to int32 with their zero points subtracted. */
#include "quant.h"

void quant_widen(const tensor_t *x, const tensor_t *zp, int zp_rank, const int64_t *zp_dims,
                 int32_t *out)
{
    const int64_t n = tensor_numel(x);
    int64_t strides[TENSOR_MAX_RANK], coords[TENSOR_MAX_RANK] = {0}, at = 0;

    if (!zp || tensor_numel(zp) == 1) {
        const int32_t z = zp ? quant_load(zp->dtype, zp->data, 0) : 0;
        for (int64_t i = 0; i < n; i++)
            out[i] = quant_load(x->dtype, x->data, i) - z;
        return;
    }
    shape_broadcast_strides(zp_rank, zp_dims, x->rank, x->dims, strides);
    for (int64_t i = 0; i < n; i++) {
        out[i] = quant_load(x->dtype, x->data, i) - quant_load(zp->dtype, zp->data, at);
        for (int d = x->rank - 1; d >= 0; d--) {
            if (++coords[d] < x->dims[d]) {
                at += strides[d];
                break;
            }
            at -= (coords[d] - 1) * strides[d];
            coords[d] = 0;
        }
    }
}
