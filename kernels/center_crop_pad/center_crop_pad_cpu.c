/*
 * center_crop_pad_cpu.c - CenterCropPad as a constant Pad with zero: a crop
 * is a negative pad, so Pad's byte mover does both in one pass.
 */
#include "center_crop_pad.h"

#include "pad/pad.h"

void center_crop_pad_pads(int rank, const int64_t *in, const int64_t *out, int64_t *pads)
{
    for (int i = 0; i < rank; i++) {
        const int64_t diff = out[i] - in[i];
        /*
         * Half the difference, rounded toward zero, goes before the data:
         * the odd element of an odd difference is padded or cropped at the end.
         */
        const int64_t begin = diff >= 0 ? diff / 2 : -((-diff) / 2);
        pads[i] = begin;
        pads[i + rank] = diff - begin;
    }
}

status_t center_crop_pad_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *y = &call->outputs[0];
    const unsigned char zero[DTYPE_MAX_SIZE] = {0};
    int64_t pads[2 * TENSOR_MAX_RANK];

    (void)err;
    center_crop_pad_pads(x->rank, x->dims, y->dims, pads);
    pad_bytes(y->data, x->data, dtype_size(x->dtype), x->rank, x->dims, pads, PAD_CONSTANT, zero,
              call->workspace);
    return STATUS_OK;
}
