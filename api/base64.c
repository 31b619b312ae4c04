/*
 * base64.c - strict base64 decoding (base64.h).
 */
#include "base64.h"

#include <stdint.h>

/* The 6-bit value of c, or -1 outside the standard alphabet. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool base64_decode(const char *text, size_t n, unsigned char *out, size_t *out_len)
{
    size_t len = 0, chars = n;
    uint32_t acc = 0;
    int bits = 0;

    /* Padding only at the end, at most two, and only to a multiple of four. */
    if (n % 4 == 0 && n > 0 && text[n - 1] == '=') {
        chars--;
        if (text[n - 2] == '=')
            chars--;
    }
    if (chars % 4 == 1)
        return false;
    for (size_t i = 0; i < chars; i++) {
        int v = sextet((unsigned char)text[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* The leftover bits of a short final group must be zero (canonical encoding). */
    if (acc != 0)
        return false;
    *out_len = len;
    return true;
}
