/*
 * image_decoder_pnm.c - the Netpbm formats, parsed here: PBM (P1 plain,
 * P4 raw), PGM (P2, P5) and PPM (P3, P6), maxval 1 to 65535 (two
 * big-endian bytes a sample past 255). Samples are scaled to 0-255 with
 * rounding (exact for maxval 255); a sample over maxval is undecodable.
 * PBM's 1 is black. The header's numbers may be separated by any
 * whitespace and '#' comments. Raw rasters must be whole in the stream, and
 * plain ones must have at least a byte left per sample, before the output
 * is allocated.
 */
#include "image_decoder.h"

/* Header numbers saturate here: far over any limit, and no overflow. */
#define PNM_NUMBER_CAP (INT64_C(1) << 40)

typedef struct pnm_reader {
    const uint8_t *data;
    size_t size, at;
} pnm_reader_t;

bool image_pnm_sniff(const uint8_t *data, size_t size)
{
    return size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6';
}

static bool pnm_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and comments (from '#' to the end of the line). */
static void pnm_skip(pnm_reader_t *r)
{
    while (r->at < r->size) {
        if (r->data[r->at] == '#') {
            while (r->at < r->size && r->data[r->at] != '\n' && r->data[r->at] != '\r')
                r->at++;
        } else if (pnm_space(r->data[r->at])) {
            r->at++;
        } else {
            break;
        }
    }
}

/* The next decimal number; false when there is none. Large ones saturate. */
static bool pnm_number(pnm_reader_t *r, int64_t *out)
{
    int64_t v = 0;
    size_t start;

    pnm_skip(r);
    start = r->at;
    while (r->at < r->size && r->data[r->at] >= '0' && r->data[r->at] <= '9') {
        v = v * 10 + (r->data[r->at] - '0');
        if (v > PNM_NUMBER_CAP)
            v = PNM_NUMBER_CAP;
        r->at++;
    }
    *out = v;
    return r->at > start;
}

/* P1's pixels are single digits, which need not be separated. */
static bool pnm_bit(pnm_reader_t *r, unsigned *out)
{
    pnm_skip(r);
    if (r->at >= r->size || (r->data[r->at] != '0' && r->data[r->at] != '1'))
        return false;
    *out = (unsigned)(r->data[r->at++] - '0');
    return true;
}

/* Sample i of a raw row of 1- or 2-byte samples, scaled to 0-255; false when over maxval. */
static bool pnm_raw_sample(const uint8_t *row, int64_t i, int64_t maxval, uint8_t *out)
{
    const int64_t v = maxval > 255 ? (int64_t)row[2 * i] << 8 | row[2 * i + 1] : row[i];

    if (v > maxval)
        return false;
    *out = (uint8_t)(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
    return true;
}

image_result_t image_pnm_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    pnm_reader_t r = {data, size, 2};
    const int kind = data[1] - '0';
    const bool raw = kind >= 4, bitmap = kind == 1 || kind == 4;
    const int channels = kind == 3 || kind == 6 ? 3 : 1;
    int64_t width, height, maxval = 1, row_bytes;
    image_result_t result;
    uint8_t *row;

    if (!pnm_number(&r, &width) || !pnm_number(&r, &height))
        return IMAGE_UNDECODABLE;
    if (!bitmap && (!pnm_number(&r, &maxval) || maxval < 1 || maxval > 65535))
        return IMAGE_UNDECODABLE;
    if (width <= 0 || height <= 0)
        return IMAGE_UNDECODABLE;
    if (raw) {
        /* Exactly one whitespace byte separates the header from the raster. */
        if (r.at >= size || !pnm_space(data[r.at]))
            return IMAGE_UNDECODABLE;
        r.at++;
    }
    /* Limits first: the sizes below are then small enough not to overflow. */
    if (width > IMAGE_DECODER_MAX_SIDE || height > IMAGE_DECODER_MAX_SIDE ||
        width * height > IMAGE_DECODER_MAX_PIXELS)
        return image_target_begin(t, height, width, err);
    if (bitmap)
        row_bytes = raw ? (width + 7) / 8 : width;
    else
        row_bytes = width * channels * (maxval > 255 ? 2 : 1);
    /* Raw: the whole raster; plain: at least one byte a sample. */
    if ((uint64_t)(size - r.at) < (uint64_t)(row_bytes * height))
        return IMAGE_UNDECODABLE;
    result = image_target_begin(t, height, width, err);
    if (result != IMAGE_DECODED)
        return result;
    row = t->scratch(t, 0, (size_t)width * 3, err);
    if (!row)
        return IMAGE_FAILED;
    for (int64_t y = 0; y < height; y++) {
        const uint8_t *in = data + r.at;
        for (int64_t x = 0; x < width; x++) {
            for (int c = 0; c < channels; c++) {
                uint8_t *out = &row[x * channels + c];
                int64_t v;
                unsigned bit;
                if (kind == 4) {
                    *out = (in[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
                } else if (kind == 1) {
                    if (!pnm_bit(&r, &bit))
                        return IMAGE_UNDECODABLE;
                    *out = bit ? 0 : 255;
                } else if (raw) {
                    if (!pnm_raw_sample(in, x * channels + c, maxval, out))
                        return IMAGE_UNDECODABLE;
                } else {
                    if (!pnm_number(&r, &v) || v > maxval)
                        return IMAGE_UNDECODABLE;
                    *out = (uint8_t)(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
                }
            }
        }
        if (raw)
            r.at += (size_t)row_bytes;
        image_target_row(t, y, row, channels == 3 ? IMAGE_LAYOUT_RGB : IMAGE_LAYOUT_GRAY);
    }
    return IMAGE_DECODED;
}
