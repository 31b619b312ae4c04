/*
 * kserve_json.c - the JSON plumbing every builder shares (UTF-8-safe
 * strings, compact dumping) and the simplest body, the error.
 */
#include "kserve.h"
#include "kserve_internal.h"

#include <stdlib.h>
#include <string.h>

size_t kserve_utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return len;
}

json_t *kserve_json_string(const char *s)
{
    size_t n = strlen(s);
    char *clean = malloc(n + 1);
    json_t *str = NULL;

    if (!clean)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t len = kserve_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (len == 0) {
            clean[i++] = '?';
        } else {
            memcpy(clean + i, s + i, len);
            i += len;
        }
    }
    clean[n] = '\0';
    str = json_string(clean);
    free(clean);
    return str;
}

char *kserve_json_take(json_t *root)
{
    char *text;

    if (!root)
        return NULL;
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

char *kserve_error_json(const char *message)
{
    json_t *root = json_object();

    if (root && json_object_set_new(root, "error", kserve_json_string(message)) != 0) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}
