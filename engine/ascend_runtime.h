/*
 * ascend_runtime.h - what AscendCL keeps per process, shared by every .om
 * model and worker: the library, opened with dlopen on first use; one
 * aclInit; one explicit context per device, made when a device's first
 * worker starts and destroyed (with aclrtResetDevice) when its last one
 * ends; and aclFinalize once, at shutdown, after everything else.
 *
 * The library is looked for in this order, the first that opens wins:
 *   1. the path set with ascend_runtime_set_library (--ascend-library);
 *      when set, it is the only one tried;
 *   2. $ASCEND_HOME_PATH/lib64/libascendcl.so;
 *   3. $ASCEND_TOOLKIT_HOME/lib64/libascendcl.so (set_env.sh sets it);
 *   4. libascendcl.so through the loader's own path (LD_LIBRARY_PATH).
 * A library that opens but lacks a function inferd calls is refused,
 * naming the function. Nothing is opened until an .om model loads, so a
 * server without one never needs CANN.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef INFERD_ASCEND_RUNTIME_H
#define INFERD_ASCEND_RUNTIME_H

#include <stdbool.h>

#include "ascend_acl.h"
#include "status.h"

/* The library's file name, also what the loader path is searched for. */
#define ASCEND_RUNTIME_SONAME "libascendcl.so"

/* Devices a process may use: ids 0 .. ASCEND_RUNTIME_MAX_DEVICES - 1. */
#define ASCEND_RUNTIME_MAX_DEVICES 64

/*
 * Sets the library to open (copied; NULL or "" searches as above). Only
 * takes effect before the library is first opened.
 */
void ascend_runtime_set_library(const char *path);

/*
 * Opens the library and calls aclInit, once per process; later calls
 * return the same table. On failure nothing is kept, so a later call tries
 * again. *acl is valid until ascend_runtime_shutdown.
 */
status_t ascend_runtime_open(const ascend_acl_t **acl, error_t *err);

/* One device as its workers use it. */
typedef struct ascend_device {
    acl_context_t context; /* the device's one explicit context */
    acl_memcpy_kind_t to_device,
        to_host; /* copy kinds for the run mode (on the board: device to device) */
} ascend_device_t;

/*
 * Takes a reference to device (aclrtSetDevice and aclrtCreateContext on
 * the first), leaving its context current on the calling thread. Fails
 * clearly for an id the runtime does not have. Give it back with
 * ascend_runtime_device_release.
 */
status_t ascend_runtime_device_acquire(int device, ascend_device_t *out, error_t *err);

/* Drops a reference; the last destroys the context and resets the device. */
void ascend_runtime_device_release(int device);

/*
 * aclFinalize, if aclInit ran. Call once, after every model and worker is
 * freed and before the process exits (AscendCL must not finalize from a
 * destructor). The library stays mapped.
 */
void ascend_runtime_shutdown(void);

/*
 * Records the failure of AscendCL call `call` with return code rc in err:
 * "call: error rc (ACL_NAME): the runtime's recent message", and returns
 * code.
 */
status_t ascend_runtime_fail(error_t *err, status_t code, const char *call, acl_error_t rc);

#endif
