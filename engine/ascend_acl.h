/*
 * ascend_acl.h - the part of AscendCL (the CANN runtime's C API,
 * libascendcl.so) that inferd calls, declared from the published facts
 * (docs/ascendcl in the README's Ascend section): the signatures, the
 * values of the enums and error codes, and the layouts of the structs
 * inferd reads. No CANN header is included anywhere: the library is opened
 * at run time with dlopen (ascend_runtime.h), so builds need no CANN.
 *
 * Constants keep AscendCL's own names (ACL_...), so that each can be
 * checked against the reference by name; types get inferd's spelling. The
 * simulated runtime of the tests (tests/ascend_sim) includes this header
 * too, so its exports have exactly these signatures.
 *
 * ASCEND_ACL_FUNCTIONS lists every function as X(return type, name,
 * parameters): ascend_runtime.c resolves each name with dlsym into
 * ascend_acl_t, and the simulator declares its definitions from the same
 * list, so a signature cannot drift between the two.
 */
#ifndef INFERD_ASCEND_ACL_H
#define INFERD_ASCEND_ACL_H

#include <stddef.h>
#include <stdint.h>

/* aclError: 0 is success. AscendCL declares these as static const int, not macros. */
typedef int acl_error_t;

enum {
    ACL_SUCCESS = 0,
    ACL_ERROR_INVALID_PARAM = 100000,
    ACL_ERROR_UNINITIALIZE = 100001,
    ACL_ERROR_REPEAT_INITIALIZE = 100002,
    ACL_ERROR_INVALID_FILE = 100003,
    ACL_ERROR_INVALID_MODEL_ID = 100011,
    ACL_ERROR_DESERIALIZE_MODEL = 100012,
    ACL_ERROR_PARSE_MODEL = 100013,
    ACL_ERROR_READ_MODEL_FAILURE = 100014,
    ACL_ERROR_MODEL_SIZE_INVALID = 100015,
    ACL_ERROR_MODEL_INPUT_NOT_MATCH = 100017,
    ACL_ERROR_MODEL_OUTPUT_NOT_MATCH = 100018,
    ACL_ERROR_MODEL_NOT_DYNAMIC = 100019,
    ACL_ERROR_REPEAT_FINALIZE = 100037,
    ACL_ERROR_BAD_ALLOC = 200000,
    ACL_ERROR_API_NOT_SUPPORT = 200001,
    ACL_ERROR_INVALID_DEVICE = 200002,
    ACL_ERROR_INTERNAL_ERROR = 500000,
    ACL_ERROR_FAILURE = 500001,
    ACL_ERROR_GE_FAILURE = 500002,
    ACL_ERROR_RT_FAILURE = 500003,
    ACL_ERROR_RT_PARAM_INVALID = 107000,
    ACL_ERROR_RT_INVALID_DEVICEID = 107001,
    ACL_ERROR_RT_CONTEXT_NULL = 107002,
    ACL_ERROR_RT_FEATURE_NOT_SUPPORT = 207000,
    ACL_ERROR_RT_MEMORY_ALLOCATION = 207001,
    ACL_ERROR_RT_NO_DEVICE = 207004,
    ACL_ERROR_RT_INTERNAL_ERROR = 507000,
    ACL_ERROR_RT_AICORE_EXCEPTION = 507015,
    ACL_ERROR_RT_STREAM_SYNC_TIMEOUT = 507046,
    ACL_ERROR_GE_PARAM_INVALID = 145000,
    ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID = 145006,
    ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID = 145013,
    ACL_ERROR_GE_LOAD_MODEL = 545001,
};

/* aclDataType. Values 5, 14, 15 and 18..26 are unused. */
typedef enum acl_data_type {
    ACL_DT_UNDEFINED = -1,
    ACL_FLOAT = 0,
    ACL_FLOAT16 = 1,
    ACL_INT8 = 2,
    ACL_INT32 = 3,
    ACL_UINT8 = 4,
    ACL_INT16 = 6,
    ACL_UINT16 = 7,
    ACL_UINT32 = 8,
    ACL_INT64 = 9,
    ACL_UINT64 = 10,
    ACL_DOUBLE = 11,
    ACL_BOOL = 12,
    ACL_STRING = 13,
    ACL_COMPLEX64 = 16,
    ACL_COMPLEX128 = 17,
    ACL_BF16 = 27,
    ACL_INT4 = 29,
    ACL_UINT1 = 30,
    ACL_COMPLEX32 = 33,
} acl_data_type_t;

/* aclrtMemMallocPolicy (the values inferd uses). */
typedef enum acl_malloc_policy {
    ACL_MEM_MALLOC_HUGE_FIRST = 0,
    ACL_MEM_MALLOC_HUGE_ONLY = 1,
    ACL_MEM_MALLOC_NORMAL_ONLY = 2,
} acl_malloc_policy_t;

/* aclrtMemcpyKind. */
typedef enum acl_memcpy_kind {
    ACL_MEMCPY_HOST_TO_HOST = 0,
    ACL_MEMCPY_HOST_TO_DEVICE = 1,
    ACL_MEMCPY_DEVICE_TO_HOST = 2,
    ACL_MEMCPY_DEVICE_TO_DEVICE = 3,
} acl_memcpy_kind_t;

/* aclrtRunMode: ACL_DEVICE when the program runs on the board itself. */
typedef enum acl_run_mode {
    ACL_DEVICE = 0,
    ACL_HOST = 1,
} acl_run_mode_t;

/* Opaque handles. */
typedef void *acl_context_t;
typedef void *acl_stream_t;
typedef struct acl_mdl_desc acl_mdl_desc_t;
typedef struct acl_dataset acl_dataset_t;
typedef struct acl_data_buffer acl_data_buffer_t;

/* ACL_MAX_DIM_CNT, ACL_MAX_TENSOR_NAME_LEN, ACL_MAX_BATCH_NUM and ACL_MAX_HW_NUM. */
#define ACL_MAX_DIM_CNT         128
#define ACL_MAX_TENSOR_NAME_LEN 128
#define ACL_MAX_BATCH_NUM       128
#define ACL_MAX_HW_NUM          128

/* The extra input a model compiled with dynamic gears has (ACL_DYNAMIC_TENSOR_NAME). */
#define ACL_DYNAMIC_TENSOR_NAME "ascend_mbatch_shape_data"

/* aclmdlIODims: dims[i] is -1 where a dim is dynamic; dim_count 0 is a scalar. */
typedef struct acl_io_dims {
    char name[ACL_MAX_TENSOR_NAME_LEN];
    size_t dim_count;
    int64_t dims[ACL_MAX_DIM_CNT];
} acl_io_dims_t;

/* aclmdlBatch: the batch gears; batch_count 0 means the model has none. */
typedef struct acl_batch {
    size_t batch_count;
    uint64_t batch[ACL_MAX_BATCH_NUM];
} acl_batch_t;

/* aclmdlHW: image-size gears, [i][0] = H, [i][1] = W. */
typedef struct acl_hw {
    size_t hw_count;
    uint64_t hw[ACL_MAX_HW_NUM][2];
} acl_hw_t;

/* The layouts the reference measured on x86_64 (LP64). */
_Static_assert(sizeof(acl_io_dims_t) == 1160 && offsetof(acl_io_dims_t, dim_count) == 128 &&
                   offsetof(acl_io_dims_t, dims) == 136,
               "aclmdlIODims layout");
_Static_assert(sizeof(acl_batch_t) == 1032, "aclmdlBatch layout");
_Static_assert(sizeof(acl_hw_t) == 2056, "aclmdlHW layout");
_Static_assert(sizeof(acl_data_type_t) == sizeof(int) && sizeof(acl_memcpy_kind_t) == sizeof(int),
               "AscendCL enums are int-sized");

/*
 * Every function inferd calls. Functions without parameters are declared
 * f() in AscendCL's headers; (void) is the same ABI.
 */
#define ASCEND_ACL_FUNCTIONS(X)                                                                    \
    X(acl_error_t, aclInit, (const char *config_path))                                             \
    X(acl_error_t, aclFinalize, (void))                                                            \
    X(const char *, aclGetRecentErrMsg, (void))                                                    \
    X(acl_error_t, aclrtGetDeviceCount, (uint32_t * count))                                        \
    X(acl_error_t, aclrtSetDevice, (int32_t device))                                               \
    X(acl_error_t, aclrtResetDevice, (int32_t device))                                             \
    X(acl_error_t, aclrtGetRunMode, (acl_run_mode_t * mode))                                       \
    X(acl_error_t, aclrtCreateContext, (acl_context_t * context, int32_t device))                  \
    X(acl_error_t, aclrtDestroyContext, (acl_context_t context))                                   \
    X(acl_error_t, aclrtSetCurrentContext, (acl_context_t context))                                \
    X(acl_error_t, aclrtCreateStream, (acl_stream_t * stream))                                     \
    X(acl_error_t, aclrtDestroyStream, (acl_stream_t stream))                                      \
    X(acl_error_t, aclrtSynchronizeStream, (acl_stream_t stream))                                  \
    X(acl_error_t, aclrtMalloc, (void **dev_ptr, size_t size, acl_malloc_policy_t policy))         \
    X(acl_error_t, aclrtFree, (void *dev_ptr))                                                     \
    X(acl_error_t, aclrtMemcpy,                                                                    \
      (void *dst, size_t dest_max, const void *src, size_t count, acl_memcpy_kind_t kind))         \
    X(acl_error_t, aclmdlLoadFromMem, (const void *model, size_t model_size, uint32_t *model_id))  \
    X(acl_error_t, aclmdlUnload, (uint32_t model_id))                                              \
    X(acl_mdl_desc_t *, aclmdlCreateDesc, (void))                                                  \
    X(acl_error_t, aclmdlDestroyDesc, (acl_mdl_desc_t * desc))                                     \
    X(acl_error_t, aclmdlGetDesc, (acl_mdl_desc_t * desc, uint32_t model_id))                      \
    X(acl_error_t, aclmdlGetDescFromMem,                                                           \
      (acl_mdl_desc_t * desc, const void *model, size_t model_size))                               \
    X(size_t, aclmdlGetNumInputs, (acl_mdl_desc_t * desc))                                         \
    X(size_t, aclmdlGetNumOutputs, (acl_mdl_desc_t * desc))                                        \
    X(size_t, aclmdlGetInputSizeByIndex, (acl_mdl_desc_t * desc, size_t index))                    \
    X(size_t, aclmdlGetOutputSizeByIndex, (acl_mdl_desc_t * desc, size_t index))                   \
    X(acl_error_t, aclmdlGetInputDims,                                                             \
      (const acl_mdl_desc_t *desc, size_t index, acl_io_dims_t *dims))                             \
    X(acl_error_t, aclmdlGetOutputDims,                                                            \
      (const acl_mdl_desc_t *desc, size_t index, acl_io_dims_t *dims))                             \
    X(const char *, aclmdlGetInputNameByIndex, (const acl_mdl_desc_t *desc, size_t index))         \
    X(const char *, aclmdlGetOutputNameByIndex, (const acl_mdl_desc_t *desc, size_t index))        \
    X(acl_data_type_t, aclmdlGetInputDataType, (const acl_mdl_desc_t *desc, size_t index))         \
    X(acl_data_type_t, aclmdlGetOutputDataType, (const acl_mdl_desc_t *desc, size_t index))        \
    X(acl_error_t, aclmdlGetInputIndexByName,                                                      \
      (const acl_mdl_desc_t *desc, const char *name, size_t *index))                               \
    X(acl_error_t, aclmdlGetDynamicBatch, (const acl_mdl_desc_t *desc, acl_batch_t *batch))        \
    X(acl_error_t, aclmdlGetDynamicHW, (const acl_mdl_desc_t *desc, size_t index, acl_hw_t *hw))   \
    X(acl_error_t, aclmdlSetDynamicBatchSize,                                                      \
      (uint32_t model_id, acl_dataset_t * dataset, size_t index, uint64_t batch_size))             \
    X(acl_data_buffer_t *, aclCreateDataBuffer, (void *data, size_t size))                         \
    X(acl_error_t, aclDestroyDataBuffer, (const acl_data_buffer_t *buffer))                        \
    X(acl_dataset_t *, aclmdlCreateDataset, (void))                                                \
    X(acl_error_t, aclmdlDestroyDataset, (const acl_dataset_t *dataset))                           \
    X(acl_error_t, aclmdlAddDatasetBuffer, (acl_dataset_t * dataset, acl_data_buffer_t * buffer))  \
    X(acl_error_t, aclmdlExecuteAsync,                                                             \
      (uint32_t model_id, const acl_dataset_t *input, acl_dataset_t *output, acl_stream_t stream))

#define ASCEND_ACL_POINTER(ret, name, params) ret(*name) params;

/* The functions as resolved from one libascendcl.so; every pointer is set. */
typedef struct ascend_acl {
    ASCEND_ACL_FUNCTIONS(ASCEND_ACL_POINTER)
} ascend_acl_t;

#undef ASCEND_ACL_POINTER

/* AscendCL's name for an error code ("ACL_ERROR_RT_AICORE_EXCEPTION"), or NULL if unknown. */
const char *ascend_acl_error_name(acl_error_t code);

#endif
