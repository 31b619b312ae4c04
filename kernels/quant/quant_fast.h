/*
 * quant_fast.h - the integer matmuls and convolutions on the int8 GEMM
 * (quant_fast.c), for the kernels of quant_proto.c and the fused QDQ ops.
 * Ownership: quant_pack's state (the packed weights) belongs to the model
 * and is freed by quant_release; the workspace is the plan's.
 */
#ifndef INFERD_QUANT_FAST_H
#define INFERD_QUANT_FAST_H

#include "op.h"

/* True when the call's shapes and zero points take the GEMM path (else the reference loops). */
bool quant_fast_takes(const op_call_t *call);

/* Workspace bytes of the GEMM path (infer: take the larger of this and the reference's). */
size_t quant_fast_workspace(const op_call_t *call);

/* Runs the GEMM path; quant_fast_takes(call) must hold. */
void quant_fast_run(op_call_t *call);

/* op_kernel_t hooks shared by every op of the family. */
status_t quant_pack(const op_call_t *call, void **state, error_t *err);
void quant_release(void *state);
bool quant_describe(const op_call_t *call, char *impl, size_t size);

#endif
