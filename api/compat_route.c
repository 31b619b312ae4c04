/*
 * compat_route.c - parsing TF Serving and MindSpore Serving URL paths
 * (compat_route.h).
 */
#include "compat_route.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Path segments either API's forms have at most (TF Serving: models, m, versions, v, metadata). */
#define COMPAT_MAX_SEGMENTS 5
/* Digits of a version number: 18 always fit an int64. */
#define COMPAT_VERSION_DIGITS 18
/* MindSpore's versions are below 2^32 (restful_request.cc). */
#define MINDSPORE_VERSION_LIMIT (INT64_C(1) << 32)

static void malformed(compat_route_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void malformed(compat_route_t *r, const char *fmt, ...)
{
    va_list ap;

    r->op = COMPAT_OP_MALFORMED;
    r->category = RESTRICTED_API_UNSET;
    r->model = r->label = r->method = NULL;
    r->version = -1;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

/*
 * Splits s (in r->buf) at '/' into segs; false when a segment is empty or
 * there are more than max.
 */
static bool split(char *s, char **segs, int max, int *n)
{
    *n = 0;
    for (;;) {
        char *slash = strchr(s, '/');
        if (*n == max || s == slash || !*s)
            return false;
        segs[(*n)++] = s;
        if (!slash)
            return true;
        *slash = '\0';
        s = slash + 1;
    }
}

/* Decimal digits only, at most COMPAT_VERSION_DIGITS of them. */
static bool parse_version(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    int64_t v = 0;

    if (n == 0 || n > COMPAT_VERSION_DIGITS)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* [versions, v] or [labels, l] (seg points at the keyword); false for anything else. */
static bool version_or_label(char **seg, compat_route_t *r)
{
    if (strcasecmp(seg[0], "versions") == 0)
        return parse_version(seg[1], &r->version);
    if (strcasecmp(seg[0], "labels") == 0 && !strchr(seg[1], ':')) {
        r->label = seg[1];
        return true;
    }
    return false;
}

/* The TF Serving forms, path after "/v1/" in r->buf. */
static void find_tfserving(const char *path, const char *method, compat_route_t *r)
{
    char *segs[COMPAT_MAX_SEGMENTS];
    int n;
    bool get = strcmp(method, "GET") == 0;

    if (!split(r->buf, segs, COMPAT_MAX_SEGMENTS, &n) || strcasecmp(segs[0], "models") != 0)
        goto bad;
    if (get) {
        if (n == 1) {
            malformed(r, "Missing model name in request.");
            return;
        }
        for (int i = 1; i < n; i++)
            if (strchr(segs[i], ':'))
                goto bad;
        r->model = segs[1];
        r->op = COMPAT_OP_TFS_STATUS;
        r->category = RESTRICTED_API_HEALTH;
        if (n == 3 || n == 5) {
            if (strcasecmp(segs[n - 1], "metadata") != 0)
                goto bad;
            r->op = COMPAT_OP_TFS_METADATA;
            r->category = RESTRICTED_API_METADATA;
            n--;
        }
        if (n == 4 && !version_or_label(segs + 2, r))
            goto bad;
        return;
    }
    if (strcmp(method, "POST") == 0 && (n == 2 || n == 4)) {
        char *colon = strchr(segs[n - 1], ':');
        const char *verb;

        if (!colon)
            goto bad;
        *colon = '\0';
        verb = colon + 1;
        for (int i = 1; i < n; i++)
            if (!*segs[i] || strchr(segs[i], ':'))
                goto bad;
        r->model = segs[1];
        if (n == 4 && !version_or_label(segs + 2, r))
            goto bad;
        r->category = RESTRICTED_API_INFERENCE;
        if (strcasecmp(verb, "predict") == 0)
            r->op = COMPAT_OP_TFS_PREDICT;
        else if (strcasecmp(verb, "classify") == 0)
            r->op = COMPAT_OP_TFS_CLASSIFY;
        else if (strcasecmp(verb, "regress") == 0)
            r->op = COMPAT_OP_TFS_REGRESS;
        else
            goto bad;
        return;
    }

bad:
    malformed(r, "Malformed request: %s %s", method, path);
}

/* The MindSpore form, path after "/model/" in r->buf. */
static void find_mindspore(const char *method, compat_route_t *r)
{
    char *segs[COMPAT_MAX_SEGMENTS];
    char *colon;
    int n;

    if (strcmp(method, "POST") != 0) {
        malformed(r, "http message only support POST right now (got %s)", method);
        return;
    }
    if (!split(r->buf, segs, COMPAT_MAX_SEGMENTS, &n) || (n != 1 && n != 3))
        goto bad;
    colon = strchr(segs[n - 1], ':');
    if (!colon || !colon[1] || strchr(colon + 1, ':'))
        goto bad;
    *colon = '\0';
    r->method = colon + 1;
    if (!*segs[0] || strchr(segs[0], ':'))
        goto bad;
    r->model = segs[0];
    if (n == 3) {
        int64_t v;
        if (strcmp(segs[1], "version") != 0 || !parse_version(segs[2], &v) ||
            v >= MINDSPORE_VERSION_LIMIT)
            goto bad;
        r->version = v == 0 ? -1 : v;
    }
    r->op = COMPAT_OP_MINDSPORE_CALL;
    r->category = RESTRICTED_API_INFERENCE;
    return;

bad:
    malformed(r, "the URL must be /model/{name}[/version/{number}]:{method}, with a version "
                 "below 2^32");
}

void compat_route_find(const char *path, const char *method, compat_route_t *r)
{
    static const char tfs_prefix[] = "/v1/", ms_prefix[] = "/model/";
    size_t tfs_len = sizeof tfs_prefix - 1, ms_len = sizeof ms_prefix - 1;
    const char *rest;

    memset(r, 0, offsetof(compat_route_t, buf));
    r->version = -1;
    r->buf[0] = '\0';
    if (strncasecmp(path, tfs_prefix, tfs_len) == 0) {
        r->api = COMPAT_API_TFSERVING;
        rest = path + tfs_len;
    } else if (strncmp(path, ms_prefix, ms_len) == 0) {
        r->api = COMPAT_API_MINDSPORE;
        rest = path + ms_len;
    } else {
        return;
    }
    if (snprintf(r->buf, sizeof r->buf, "%s", rest) >= (int)sizeof r->buf)
        malformed(r, "the URL path is longer than the limit of %d bytes", COMPAT_ROUTE_PATH_MAX);
    else if (r->api == COMPAT_API_TFSERVING)
        find_tfserving(path, method, r);
    else
        find_mindspore(method, r);
}

bool compat_route_is_infer(const compat_route_t *r)
{
    return r->op == COMPAT_OP_TFS_PREDICT || r->op == COMPAT_OP_MINDSPORE_CALL;
}
