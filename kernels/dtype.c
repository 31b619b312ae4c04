#include "dtype.h"

typedef struct dtype_desc {
    size_t size;
    const char *onnx_name;
    const char *kserve_name;
    const char *triton_name; /* Triton's model configuration DataType */
} dtype_desc_t;

static const dtype_desc_t dtype_table[DTYPE_MAX + 1] = {
    [DTYPE_UNDEFINED] = {0, "undefined", NULL, NULL},
    [DTYPE_FLOAT] = {4, "float", "FP32", "TYPE_FP32"},
    [DTYPE_UINT8] = {1, "uint8", "UINT8", "TYPE_UINT8"},
    [DTYPE_INT8] = {1, "int8", "INT8", "TYPE_INT8"},
    [DTYPE_UINT16] = {2, "uint16", "UINT16", "TYPE_UINT16"},
    [DTYPE_INT16] = {2, "int16", "INT16", "TYPE_INT16"},
    [DTYPE_INT32] = {4, "int32", "INT32", "TYPE_INT32"},
    [DTYPE_INT64] = {8, "int64", "INT64", "TYPE_INT64"},
    [DTYPE_STRING] = {0, "string", "BYTES", "TYPE_STRING"},
    [DTYPE_BOOL] = {1, "bool", "BOOL", "TYPE_BOOL"},
    [DTYPE_FLOAT16] = {2, "float16", "FP16", "TYPE_FP16"},
    [DTYPE_DOUBLE] = {8, "double", "FP64", "TYPE_FP64"},
    [DTYPE_UINT32] = {4, "uint32", "UINT32", "TYPE_UINT32"},
    [DTYPE_UINT64] = {8, "uint64", "UINT64", "TYPE_UINT64"},
    [DTYPE_COMPLEX64] = {0, "complex64", NULL, NULL},
    [DTYPE_COMPLEX128] = {0, "complex128", NULL, NULL},
    [DTYPE_BFLOAT16] = {2, "bfloat16", "BF16", "TYPE_BF16"},
};

size_t dtype_size(dtype_t t)
{
    return (t >= 0 && t <= DTYPE_MAX) ? dtype_table[t].size : 0;
}

const char *dtype_name(dtype_t t)
{
    return (t >= 0 && t <= DTYPE_MAX) ? dtype_table[t].onnx_name : "undefined";
}

const char *dtype_kserve_name(dtype_t t)
{
    return (t >= 0 && t <= DTYPE_MAX) ? dtype_table[t].kserve_name : NULL;
}

const char *dtype_triton_name(dtype_t t)
{
    return (t >= 0 && t <= DTYPE_MAX) ? dtype_table[t].triton_name : NULL;
}
