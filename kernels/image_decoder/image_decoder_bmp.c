/*
 * image_decoder_bmp.c - Windows bitmaps, parsed here: the core (OS/2 1.x)
 * and info headers and their V2-V5 extensions; 1, 4 and 8 bits a pixel
 * through a palette, 16 and 32 bits through bit masks (BI_BITFIELDS, or the
 * defaults 5-5-5 and 8-8-8 of BI_RGB), 24 bits as BGR; bottom-up and
 * top-down. Run-length compressed (RLE4, RLE8), embedded JPEG/PNG and CMYK
 * bitmaps are undecodable. Every byte read is checked against the stream:
 * the whole pixel array must be in it before the output is allocated.
 */
#include "image_decoder.h"

#include <string.h>

#define BMP_FILE_HEADER    14
#define BMP_CORE_HEADER    12
#define BMP_INFO_HEADER    40
#define BMP_V5_HEADER      124
#define BMP_RGB            0
#define BMP_BITFIELDS      3
#define BMP_ALPHABITFIELDS 6

/* One colour channel of a bit-mask pixel: where it is and its largest value. */
typedef struct bmp_field {
    int shift;
    uint32_t max;
} bmp_field_t;

typedef struct bmp_info {
    int64_t width, height; /* height > 0 */
    bool top_down;
    int bpp;
    uint32_t compression;
    size_t row_bytes, pixel_offset;
    bmp_field_t fields[3];   /* red, green, blue for 16 and 32 bits */
    uint8_t palette[256][3]; /* RGB; entries past the file's palette are black */
} bmp_info_t;

static uint32_t bmp_u16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t bmp_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool image_bmp_sniff(const uint8_t *data, size_t size)
{
    return size >= 2 && data[0] == 'B' && data[1] == 'M';
}

/* A mask must be one run of 1 to 16 set bits; false otherwise. */
static bool bmp_field_from_mask(uint32_t mask, bmp_field_t *f)
{
    int shift = 0;

    if (mask == 0)
        return false;
    while (!(mask & 1u)) {
        mask >>= 1;
        shift++;
    }
    if ((mask & (mask + 1)) != 0 || mask > 0xffffu)
        return false;
    f->shift = shift;
    f->max = mask;
    return true;
}

/* Reads the headers, masks and palette; false for anything undecodable. */
static bool bmp_read_info(const uint8_t *data, size_t size, bmp_info_t *b)
{
    const uint8_t *h = data + BMP_FILE_HEADER;
    uint32_t header, colors = 0, masks[3];
    size_t palette_at, entry;
    int64_t height;

    if (size < BMP_FILE_HEADER + 4)
        return false;
    b->pixel_offset = bmp_u32(data + 10);
    header = bmp_u32(h);
    if (header < BMP_CORE_HEADER || header > BMP_V5_HEADER || size - BMP_FILE_HEADER < header)
        return false;
    if (header == BMP_CORE_HEADER) {
        b->width = bmp_u16(h + 4);
        height = bmp_u16(h + 6);
        b->bpp = (int)bmp_u16(h + 10);
        b->compression = BMP_RGB;
        entry = 3;
    } else {
        if (header < BMP_INFO_HEADER)
            return false;
        b->width = (int32_t)bmp_u32(h + 4);
        height = (int32_t)bmp_u32(h + 8);
        b->bpp = (int)bmp_u16(h + 14);
        b->compression = bmp_u32(h + 16);
        colors = bmp_u32(h + 32);
        entry = 4;
    }
    b->top_down = height < 0;
    b->height = height < 0 ? -height : height; /* int64: -INT32_MIN fits */
    if (b->width <= 0 || b->height <= 0)
        return false;
    palette_at = BMP_FILE_HEADER + header;

    if (b->compression == BMP_BITFIELDS || b->compression == BMP_ALPHABITFIELDS) {
        if (b->bpp != 16 && b->bpp != 32)
            return false;
        /* Version 2+ headers hold the masks; the info header is followed by them. */
        const uint8_t *m = h + BMP_INFO_HEADER;
        if (header == BMP_INFO_HEADER) {
            size_t n = b->compression == BMP_ALPHABITFIELDS ? 16 : 12;
            if (size - palette_at < n)
                return false;
            palette_at += n;
        } else if (header < BMP_INFO_HEADER + 12) {
            return false;
        }
        for (int c = 0; c < 3; c++)
            masks[c] = bmp_u32(m + 4 * c);
    } else if (b->compression == BMP_RGB) {
        if (b->bpp == 16) {
            masks[0] = 0x7c00u, masks[1] = 0x03e0u, masks[2] = 0x001fu;
        } else {
            masks[0] = 0xff0000u, masks[1] = 0x00ff00u, masks[2] = 0x0000ffu;
        }
    } else {
        return false; /* RLE, JPEG, PNG, CMYK */
    }
    if (b->bpp == 16 || b->bpp == 32) {
        for (int c = 0; c < 3; c++)
            if (!bmp_field_from_mask(masks[c], &b->fields[c]))
                return false;
    } else if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 24) {
        return false;
    }

    memset(b->palette, 0, sizeof b->palette);
    if (b->bpp <= 8) {
        const uint32_t most = 1u << b->bpp;
        colors = colors ? colors : most;
        if (colors > most || palette_at > size || (size - palette_at) / entry < colors)
            return false;
        for (uint32_t i = 0; i < colors; i++) {
            const uint8_t *e = data + palette_at + i * entry;
            b->palette[i][0] = e[2];
            b->palette[i][1] = e[1];
            b->palette[i][2] = e[0];
        }
    }
    /* Rows are padded to 4 bytes; width < 2^31 and bpp <= 32 keep this in 64 bits. */
    b->row_bytes = (size_t)(((uint64_t)b->width * (uint64_t)b->bpp + 31) / 32 * 4);
    return true;
}

/* Expands one stored row into RGB (3 bytes a pixel) in out. */
static void bmp_row(const bmp_info_t *b, const uint8_t *in, uint8_t *out)
{
    for (int64_t x = 0; x < b->width; x++, out += 3) {
        if (b->bpp <= 8) {
            const int per_byte = 8 / b->bpp;
            const int at = (int)(x % per_byte), shift = 8 - b->bpp * (at + 1);
            const unsigned index = (in[x / per_byte] >> shift) & ((1u << b->bpp) - 1);
            memcpy(out, b->palette[index], 3);
        } else if (b->bpp == 24) {
            out[0] = in[3 * x + 2];
            out[1] = in[3 * x + 1];
            out[2] = in[3 * x];
        } else {
            const uint32_t v = b->bpp == 16 ? bmp_u16(in + 2 * x) : bmp_u32(in + 4 * x);
            /* Scaled as Pillow scales 5-bit fields: v * 255 / max, truncated. */
            for (int c = 0; c < 3; c++) {
                const bmp_field_t *f = &b->fields[c];
                out[c] = (uint8_t)(((v >> f->shift) & f->max) * 255u / f->max);
            }
        }
    }
}

image_result_t image_bmp_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    bmp_info_t b;
    image_result_t r;
    uint8_t *row;

    if (!bmp_read_info(data, size, &b))
        return IMAGE_UNDECODABLE;
    /* The whole pixel array must be in the stream: checked before any allocation. */
    if (b.pixel_offset > size || (size - b.pixel_offset) / b.row_bytes < (uint64_t)b.height)
        return IMAGE_UNDECODABLE;
    r = image_target_begin(t, b.height, b.width, err);
    if (r != IMAGE_DECODED)
        return r;
    row = t->scratch(t, 0, (size_t)b.width * 3, err);
    if (!row)
        return IMAGE_FAILED;
    for (int64_t y = 0; y < b.height; y++) {
        const int64_t stored = b.top_down ? y : b.height - 1 - y;
        bmp_row(&b, data + b.pixel_offset + (size_t)stored * b.row_bytes, row);
        image_target_row(t, y, row, IMAGE_LAYOUT_RGB);
    }
    return IMAGE_DECODED;
}
