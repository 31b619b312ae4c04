/*
 * http_request.c - reading the numbers in a REST request's headers
 * (http_request.h).
 */
#include "http_request.h"

#include <string.h>

/*
 * Reads value, decimal digits only, into *out. Returns false for an empty
 * string, any other character, or a number over max.
 */
static bool parse_decimal(const char *value, uint64_t max, uint64_t *out)
{
    uint64_t n = 0;

    if (!value || !*value)
        return false;
    for (const char *p = value; *p; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (digit > 9 || digit > max || n > (max - digit) / 10)
            return false;
        n = n * 10 + digit;
    }
    *out = n;
    return true;
}

bool http_header_length(const char *value, size_t body_size, size_t *out)
{
    uint64_t n;

    if (!parse_decimal(value, body_size, &n))
        return false;
    *out = (size_t)n;
    return true;
}

bool http_body_announced_over(const char *content_length, size_t limit)
{
    uint64_t n;
    const char *p = content_length;

    if (!p || !*p)
        return false;
    /* Digits only, but a number too long for 64 bits is over any limit. */
    if (parse_decimal(p, UINT64_MAX, &n))
        return n > limit;
    return strspn(p, "0123456789") == strlen(p);
}
