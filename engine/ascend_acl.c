/*
 * ascend_acl.c - AscendCL's names for its error codes, for messages.
 */
#include "ascend_acl.h"

const char *ascend_acl_error_name(acl_error_t code)
{
    static const struct {
        acl_error_t code;
        const char *name;
    } names[] = {
#define NAME(code) {code, #code}
        NAME(ACL_ERROR_INVALID_PARAM),
        NAME(ACL_ERROR_UNINITIALIZE),
        NAME(ACL_ERROR_REPEAT_INITIALIZE),
        NAME(ACL_ERROR_INVALID_FILE),
        NAME(ACL_ERROR_INVALID_MODEL_ID),
        NAME(ACL_ERROR_DESERIALIZE_MODEL),
        NAME(ACL_ERROR_PARSE_MODEL),
        NAME(ACL_ERROR_READ_MODEL_FAILURE),
        NAME(ACL_ERROR_MODEL_SIZE_INVALID),
        NAME(ACL_ERROR_MODEL_INPUT_NOT_MATCH),
        NAME(ACL_ERROR_MODEL_OUTPUT_NOT_MATCH),
        NAME(ACL_ERROR_MODEL_NOT_DYNAMIC),
        NAME(ACL_ERROR_REPEAT_FINALIZE),
        NAME(ACL_ERROR_BAD_ALLOC),
        NAME(ACL_ERROR_API_NOT_SUPPORT),
        NAME(ACL_ERROR_INVALID_DEVICE),
        NAME(ACL_ERROR_INTERNAL_ERROR),
        NAME(ACL_ERROR_FAILURE),
        NAME(ACL_ERROR_GE_FAILURE),
        NAME(ACL_ERROR_RT_FAILURE),
        NAME(ACL_ERROR_RT_PARAM_INVALID),
        NAME(ACL_ERROR_RT_INVALID_DEVICEID),
        NAME(ACL_ERROR_RT_CONTEXT_NULL),
        NAME(ACL_ERROR_RT_FEATURE_NOT_SUPPORT),
        NAME(ACL_ERROR_RT_MEMORY_ALLOCATION),
        NAME(ACL_ERROR_RT_NO_DEVICE),
        NAME(ACL_ERROR_RT_INTERNAL_ERROR),
        NAME(ACL_ERROR_RT_AICORE_EXCEPTION),
        NAME(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT),
        NAME(ACL_ERROR_GE_PARAM_INVALID),
        NAME(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID),
        NAME(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID),
        NAME(ACL_ERROR_GE_LOAD_MODEL),
#undef NAME
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}
