/*
 * onednn_reorder.h - one oneDNN reorder, run once: weights moved from a
 * plain layout into the blocked one a primitive chose, when a kernel packs
 * them. Shared by the fp32 and bf16 convolutions, the bf16 GEMM and the
 * int8 convolution.
 */
#ifndef INFERD_ONEDNN_REORDER_H
#define INFERD_ONEDNN_REORDER_H

#include <dnnl.h>

/*
 * Reorders src (laid out as from) into dst (laid out as to, sized by the
 * caller) on engine, waiting for it to finish. Every oneDNN object it
 * creates is destroyed before it returns; src and dst stay the caller's.
 */
dnnl_status_t onednn_reorder_once(dnnl_engine_t engine, const dnnl_memory_desc_t *from,
                                  const void *src, const dnnl_memory_desc_t *to, void *dst);

#endif
