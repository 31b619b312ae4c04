/*
 * onnx_tensor.h - conversion between ONNX TensorProto messages and tensor_t.
 * Engine-private: only the engine sees protobuf-c types.
 */
#ifndef INFERD_ONNX_TENSOR_H
#define INFERD_ONNX_TENSOR_H

#include "arena.h"
#include "onnx.pb-c.h"
#include "tensor.h"

/* Largest external data file a model may reference; bounds the read. */
#define ONNX_EXTERNAL_MAX_BYTES (INT64_C(1) << 36)
/* Keys of one tensor's external_data; ONNX defines five (location, offset, length, checksum,
 * basepath). */
#define ONNX_EXTERNAL_MAX_KEYS 16

/*
 * Checks tp's dtype and dims and fills out's dtype, rank and dims (not its
 * data); *bytes is the size the data must have.
 */
status_t onnx_tensor_header(const Onnx__TensorProto *tp, const char *what, tensor_t *out,
                            size_t *bytes, error_t *err);

/*
 * Fills *out from tp, with data owned by arena. raw_data is taken over
 * without a copy (tp->raw_data is left empty). External data is read from
 * model_dir (NULL: external data is refused); its location must stay inside
 * model_dir. what names the tensor in messages, e.g. "initializer 'w'".
 * Nothing is allocated for the data until the values (or the external
 * file's bytes) its dims declare are known to be there, so a file of a few
 * bytes cannot claim gigabytes.
 */
status_t onnx_tensor_convert(Onnx__TensorProto *tp, const char *model_dir, const char *what,
                             arena_t *arena, tensor_t *out, error_t *err);

#endif
