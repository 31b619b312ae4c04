/*
 * conv_dw_row_generic.c - the 3x3 depthwise row (conv_dw_row.h) in plain
 * C, channels innermost so the compiler vectorises each tap's update; and
 * the choice of variant.
 */
#include "conv_dw_row.h"

#include "cpu_isa.h"

void conv_dw_row_generic(const conv_dw_row_t *r)
{
    const int64_t c = r->c;

    for (int64_t ox = 0; ox < r->ow; ox++) {
        float *restrict out = r->out + ox * c;
        int64_t x0 = ox * r->stride - r->pad;
        for (int64_t ch = 0; ch < c; ch++)
            out[ch] = r->bias[ch];
        for (int kh = 0; kh < CONV_DW_ROW_K; kh++) {
            if (!r->rows[kh])
                continue;
            for (int kw = 0; kw < CONV_DW_ROW_K; kw++) {
                int64_t ix = x0 + kw;
                const float *restrict in, *restrict tap;
                if (ix < 0 || ix >= r->w)
                    continue;
                in = r->rows[kh] + ix * c;
                tap = r->taps + (kh * CONV_DW_ROW_K + kw) * c;
                for (int64_t ch = 0; ch < c; ch++)
                    out[ch] += tap[ch] * in[ch];
            }
        }
        for (int64_t ch = 0; ch < c; ch++) {
            float v = out[ch] < r->lo ? r->lo : out[ch];
            out[ch] = v > r->hi ? r->hi : v;
        }
    }
}

conv_dw_row_fn conv_dw_row_pick(void)
{
    switch (cpu_isa()) {
    case CPU_ISA_AVX512:
        return conv_dw_row_avx512;
    case CPU_ISA_AVX2:
        return conv_dw_row_avx2;
    default:
        return conv_dw_row_generic;
    }
}
