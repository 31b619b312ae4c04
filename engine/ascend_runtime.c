/*
 * ascend_runtime.c - the process-wide AscendCL state (ascend_runtime.h).
 *
 * One mutex guards it all: opening, init, device references and shutdown
 * are rare (model loads and worker starts), never on a request's path.
 */
#include "ascend_runtime.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Longest description of the places tried, in a failure message. */
#define TRIED_MAX 400

typedef struct device_slot {
    int refs;
    ascend_device_t device;
} device_slot_t;

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static char library_path[PATH_MAX];
static void *library;    /* dlopen handle, kept until the process ends */
static ascend_acl_t acl; /* valid while library is set */
static bool initialized; /* aclInit succeeded and aclFinalize has not run */
static device_slot_t devices[ASCEND_RUNTIME_MAX_DEVICES];

void ascend_runtime_set_library(const char *path)
{
    pthread_mutex_lock(&runtime_lock);
    snprintf(library_path, sizeof library_path, "%s", path ? path : "");
    pthread_mutex_unlock(&runtime_lock);
}

status_t ascend_runtime_fail(error_t *err, status_t code, const char *call, acl_error_t rc)
{
    const char *name = ascend_acl_error_name(rc);
    const char *message = library && acl.aclGetRecentErrMsg ? acl.aclGetRecentErrMsg() : NULL;

    return error_set(err, code, "%s: error %d%s%s%s: %s", call, rc, name ? " (" : "",
                     name ? name : "", name ? ")" : "",
                     message && message[0] ? message : "no message from the runtime");
}

/* Resolves every function of ASCEND_ACL_FUNCTIONS from handle into *out. */
static status_t resolve(void *handle, const char *path, ascend_acl_t *out, error_t *err)
{
#define RESOLVE(ret, name, params)                                                                 \
    *(void **)&out->name = dlsym(handle, #name);                                                   \
    if (!out->name)                                                                                \
        return error_set(err, STATUS_UNSUPPORTED,                                                  \
                         "AscendCL library %s lacks the function " #name                           \
                         " that inferd calls (a CANN release too old, or not libascendcl)",        \
                         path);
    ASCEND_ACL_FUNCTIONS(RESOLVE)
#undef RESOLVE
    return STATUS_OK;
}

/* Appends "what: why; " to tried (bounded). */
static void note(char *tried, const char *what, const char *why)
{
    size_t n = strlen(tried);
    snprintf(tried + n, TRIED_MAX - n, "%s%s: %s", n ? "; " : "", what, why);
}

/* dlopen of one candidate; NULL with the reason noted. */
static void *try_open(const char *path, char *tried)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        note(tried, path, dlerror());
    return h;
}

/* Opens the library by the search order; called with the lock held. */
static status_t open_library(error_t *err)
{
    static const char *const homes[] = {"ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"};
    char tried[TRIED_MAX] = "", path[PATH_MAX];
    const char *opened = NULL;
    void *h = NULL;
    status_t st;

    if (library_path[0]) {
        h = try_open(library_path, tried);
        if (!h)
            return error_set(err, STATUS_UNAVAILABLE,
                             "cannot open the AscendCL library given by --ascend-library: %s",
                             tried);
        opened = library_path;
    }
    for (size_t i = 0; !h && i < sizeof homes / sizeof homes[0]; i++) {
        const char *home = getenv(homes[i]);
        if (!home || !home[0]) {
            note(tried, homes[i], "unset");
            continue;
        }
        snprintf(path, sizeof path, "%s/lib64/%s", home, ASCEND_RUNTIME_SONAME);
        h = try_open(path, tried);
        opened = path;
    }
    if (!h) {
        h = try_open(ASCEND_RUNTIME_SONAME, tried);
        opened = ASCEND_RUNTIME_SONAME " (loader path)";
    }
    if (!h)
        return error_set(err, STATUS_UNAVAILABLE,
                         "cannot open the AscendCL library (%s) to run .om models; install CANN "
                         "and source its set_env.sh, or give --ascend-library. Tried: %s",
                         ASCEND_RUNTIME_SONAME, tried);
    st = resolve(h, opened, &acl, err);
    if (st) {
        memset(&acl, 0, sizeof acl);
        dlclose(h);
        return st;
    }
    library = h;
    return STATUS_OK;
}

status_t ascend_runtime_open(const ascend_acl_t **out, error_t *err)
{
    status_t st = STATUS_OK;
    acl_error_t rc;

    *out = NULL;
    pthread_mutex_lock(&runtime_lock);
    if (!library)
        st = open_library(err);
    if (!st && !initialized) {
        /* A repeat init (someone else in the process ran it) is benign, as CANN documents. */
        rc = acl.aclInit(NULL);
        if (rc != ACL_SUCCESS && rc != ACL_ERROR_REPEAT_INITIALIZE)
            st = ascend_runtime_fail(err, STATUS_UNAVAILABLE, "aclInit", rc);
        else
            initialized = true;
    }
    if (!st)
        *out = &acl;
    pthread_mutex_unlock(&runtime_lock);
    return st;
}

/* Opens device id: set it, make its context, learn the run mode. Lock held. */
static status_t open_device(int id, ascend_device_t *d, error_t *err)
{
    uint32_t count = 0;
    acl_run_mode_t mode = ACL_HOST;
    acl_error_t rc;

    rc = acl.aclrtGetDeviceCount(&count);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_UNAVAILABLE, "aclrtGetDeviceCount", rc);
    if ((uint32_t)id >= count)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "NPU device %d does not exist: the runtime sees %u device%s%s", id, count,
                         count == 1 ? "" : "s",
                         count ? " (ids from 0; ASCEND_RT_VISIBLE_DEVICES renumbers them)" : "");
    rc = acl.aclrtSetDevice(id);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_UNAVAILABLE, "aclrtSetDevice", rc);
    rc = acl.aclrtCreateContext(&d->context, id);
    if (rc == ACL_SUCCESS)
        rc = acl.aclrtGetRunMode(&mode);
    if (rc != ACL_SUCCESS) {
        status_t st = ascend_runtime_fail(
            err, STATUS_UNAVAILABLE, d->context ? "aclrtGetRunMode" : "aclrtCreateContext", rc);
        if (d->context)
            acl.aclrtDestroyContext(d->context);
        acl.aclrtResetDevice(id);
        d->context = NULL;
        return st;
    }
    /* On the board itself "host" buffers are device memory too. */
    d->to_device = mode == ACL_DEVICE ? ACL_MEMCPY_DEVICE_TO_DEVICE : ACL_MEMCPY_HOST_TO_DEVICE;
    d->to_host = mode == ACL_DEVICE ? ACL_MEMCPY_DEVICE_TO_DEVICE : ACL_MEMCPY_DEVICE_TO_HOST;
    return STATUS_OK;
}

status_t ascend_runtime_device_acquire(int id, ascend_device_t *out, error_t *err)
{
    device_slot_t *slot;
    status_t st = STATUS_OK;
    acl_error_t rc;

    if (id < 0 || id >= ASCEND_RUNTIME_MAX_DEVICES)
        return error_set(err, STATUS_INVALID_ARGUMENT, "NPU device %d is outside 0..%d", id,
                         ASCEND_RUNTIME_MAX_DEVICES - 1);
    pthread_mutex_lock(&runtime_lock);
    slot = &devices[id];
    if (!initialized)
        st = error_set(err, STATUS_INTERNAL, "AscendCL is not initialised");
    else if (slot->refs == 0)
        st = open_device(id, &slot->device, err);
    if (!st) {
        rc = acl.aclrtSetCurrentContext(slot->device.context);
        if (rc != ACL_SUCCESS)
            st = ascend_runtime_fail(err, STATUS_UNAVAILABLE, "aclrtSetCurrentContext", rc);
    }
    if (!st) {
        slot->refs++;
        *out = slot->device;
    } else if (slot->refs == 0 && slot->device.context) {
        acl.aclrtDestroyContext(slot->device.context);
        acl.aclrtResetDevice(id);
        memset(&slot->device, 0, sizeof slot->device);
    }
    pthread_mutex_unlock(&runtime_lock);
    return st;
}

void ascend_runtime_device_release(int id)
{
    device_slot_t *slot;
    acl_error_t rc;

    if (id < 0 || id >= ASCEND_RUNTIME_MAX_DEVICES)
        return;
    pthread_mutex_lock(&runtime_lock);
    slot = &devices[id];
    if (slot->refs > 0 && --slot->refs == 0) {
        /* The documented order: streams (gone with their workers), then the context, then reset. */
        rc = acl.aclrtDestroyContext(slot->device.context);
        if (rc != ACL_SUCCESS)
            engine_warn("NPU device %d: aclrtDestroyContext: error %d", id, rc);
        rc = acl.aclrtResetDevice(id);
        if (rc != ACL_SUCCESS)
            engine_warn("NPU device %d: aclrtResetDevice: error %d", id, rc);
        memset(&slot->device, 0, sizeof slot->device);
    }
    pthread_mutex_unlock(&runtime_lock);
}

void ascend_runtime_shutdown(void)
{
    acl_error_t rc;

    pthread_mutex_lock(&runtime_lock);
    for (int id = 0; id < ASCEND_RUNTIME_MAX_DEVICES; id++)
        if (devices[id].refs)
            engine_warn("NPU device %d still has %d worker(s) at shutdown", id, devices[id].refs);
    if (initialized) {
        rc = acl.aclFinalize();
        if (rc != ACL_SUCCESS && rc != ACL_ERROR_REPEAT_FINALIZE)
            engine_warn("aclFinalize: error %d", rc);
        initialized = false;
    }
    pthread_mutex_unlock(&runtime_lock);
}
