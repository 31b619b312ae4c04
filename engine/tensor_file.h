/*
 * tensor_file.h - ONNX TensorProto files (.pb), as in the ONNX test data
 * layout (test_data_set_N/input_K.pb): how `inferd run` reads inputs and
 * writes outputs.
 */
#ifndef INFERD_TENSOR_FILE_H
#define INFERD_TENSOR_FILE_H

#include "arena.h"
#include "tensor.h"

/* Largest tensor file read; a larger one is refused before reading. */
#define TENSOR_FILE_MAX_BYTES (INT64_C(2) << 30)

/*
 * Reads a TensorProto from path into *out; the data and the name (*name,
 * "" if the file has none) are owned by arena.
 */
status_t tensor_file_read(const char *path, arena_t *arena, tensor_t *out, const char **name,
                          error_t *err);

/* Writes t as a TensorProto called name (raw_data form) to path. */
status_t tensor_file_write(const char *path, const char *name, const tensor_t *t, error_t *err);

#endif
