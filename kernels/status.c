#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

status_t error_set(error_t *err, status_t code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

status_t error_prefix(error_t *err, const char *fmt, ...)
{
    char detail[ERROR_MESSAGE_MAX];
    va_list ap;
    int used;

    if (!err)
        return STATUS_INTERNAL;
    memcpy(detail, err->message, sizeof detail);
    va_start(ap, fmt);
    used = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (used >= 0 && (size_t)used + 2 < sizeof err->message) {
        size_t room = sizeof err->message - (size_t)used;
        err->message[used] = ':';
        err->message[used + 1] = ' ';
        memcpy(err->message + used + 2, detail, room - 2);
        err->message[sizeof err->message - 1] = '\0';
    }
    return err->code;
}

const char *status_name(status_t code)
{
    switch (code) {
    case STATUS_OK:
        return "OK";
    case STATUS_INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
    case STATUS_NOT_FOUND:
        return "NOT_FOUND";
    case STATUS_UNSUPPORTED:
        return "UNSUPPORTED";
    case STATUS_INVALID_MODEL:
        return "INVALID_MODEL";
    case STATUS_OUT_OF_MEMORY:
        return "OUT_OF_MEMORY";
    case STATUS_LIMIT_EXCEEDED:
        return "LIMIT_EXCEEDED";
    case STATUS_IO:
        return "IO";
    case STATUS_INTERNAL:
        return "INTERNAL";
    case STATUS_UNAVAILABLE:
        return "UNAVAILABLE";
    case STATUS_QUEUE_FULL:
        return "QUEUE_FULL";
    case STATUS_DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
    case STATUS_TOO_LARGE:
        return "TOO_LARGE";
    case STATUS_PERMISSION_DENIED:
        return "PERMISSION_DENIED";
    case STATUS_FAILED_PRECONDITION:
        return "FAILED_PRECONDITION";
    case STATUS_ALREADY_EXISTS:
        return "ALREADY_EXISTS";
    }
    return "UNKNOWN";
}
