/*
 * image_decoder_tiff.c - TIFF through libtiff's RGBA interface, which reads
 * every photometric interpretation and depth libtiff knows (gray, palette,
 * RGB, YCbCr, CMYK, 1 to 16 bits) as 8-bit RGBA; the first image of the
 * file. Only common compressions are accepted: old-style JPEG and the rare
 * codecs add attack surface and no images anyone sends. libtiff reads from
 * memory, never maps or writes, allocates at most TIFF_MAX_SINGLE_ALLOC at
 * a time, and its messages go to handlers that drop them.
 *
 * Differences from Pillow: libtiff premultiplies unassociated alpha into
 * the colours, and rounds 16-bit samples where Pillow keeps the high byte.
 */
#include "image_decoder.h"

#include <string.h>
#include <tiffio.h>

/* A strip or tile of the largest image, 16-bit RGB in one strip: 6 bytes a pixel. */
#define TIFF_MAX_SINGLE_ALLOC ((tmsize_t)IMAGE_DECODER_MAX_PIXELS * 6)

typedef struct tiff_source {
    const uint8_t *data;
    toff_t size, at;
} tiff_source_t;

bool image_tiff_sniff(const uint8_t *data, size_t size)
{
    /* Classic TIFF (42) and BigTIFF (43), either byte order. */
    return size >= 4 &&
           ((data[0] == 'I' && data[1] == 'I' && data[3] == 0 &&
             (data[2] == 42 || data[2] == 43)) ||
            (data[0] == 'M' && data[1] == 'M' && data[2] == 0 && (data[3] == 42 || data[3] == 43)));
}

static tmsize_t tiff_read(thandle_t h, void *out, tmsize_t n)
{
    tiff_source_t *s = (tiff_source_t *)h;
    toff_t left = s->at < s->size ? s->size - s->at : 0;

    if (n < 0)
        return 0;
    if ((toff_t)n > left)
        n = (tmsize_t)left;
    memcpy(out, s->data + s->at, (size_t)n);
    s->at += (toff_t)n;
    return n;
}

static tmsize_t tiff_write(thandle_t h, void *in, tmsize_t n)
{
    (void)h;
    (void)in;
    (void)n;
    return 0;
}

static toff_t tiff_seek(thandle_t h, toff_t offset, int whence)
{
    tiff_source_t *s = (tiff_source_t *)h;
    toff_t base = whence == SEEK_CUR ? s->at : whence == SEEK_END ? s->size : 0;

    /* Past the end is allowed, as for a file; reads there return nothing. Overflow is not. */
    if (offset > UINT64_MAX - base)
        return (toff_t)-1;
    s->at = base + offset;
    return s->at;
}

static int tiff_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t tiff_size(thandle_t h)
{
    return ((tiff_source_t *)h)->size;
}

static int tiff_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static void tiff_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

/* Returning 1 keeps libtiff's global handlers (which print) from running. */
static int tiff_quiet(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static bool tiff_compression_ok(TIFF *tif)
{
    uint16_t c = COMPRESSION_NONE;

    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &c);
    switch (c) {
    case COMPRESSION_NONE:
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4:
    case COMPRESSION_LZW:
    case COMPRESSION_JPEG:
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE:
    case COMPRESSION_PACKBITS:
        return true;
    default:
        return false;
    }
}

static image_result_t tiff_read_image(TIFF *tif, image_target_t *t, error_t *err)
{
    uint32_t width = 0, height = 0, *raster;
    char message[1024];
    image_result_t begun;
    uint8_t *row;

    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height) || !tiff_compression_ok(tif) ||
        !TIFFRGBAImageOK(tif, message))
        return IMAGE_UNDECODABLE;
    begun = image_target_begin(t, height, width, err);
    if (begun != IMAGE_DECODED)
        return begun;
    raster = t->scratch(t, 0, (size_t)width * height * sizeof *raster, err);
    row = t->scratch(t, 1, (size_t)width * 3, err);
    if (!raster || !row)
        return IMAGE_FAILED;
    if (!TIFFReadRGBAImageOriented(tif, width, height, raster, ORIENTATION_TOPLEFT, 1))
        return IMAGE_UNDECODABLE;
    for (uint32_t y = 0; y < height; y++) {
        const uint32_t *in = raster + (size_t)y * width;
        for (uint32_t x = 0; x < width; x++) {
            row[3 * x] = (uint8_t)TIFFGetR(in[x]);
            row[3 * x + 1] = (uint8_t)TIFFGetG(in[x]);
            row[3 * x + 2] = (uint8_t)TIFFGetB(in[x]);
        }
        image_target_row(t, y, row, IMAGE_LAYOUT_RGB);
    }
    return IMAGE_DECODED;
}

image_result_t image_tiff_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    tiff_source_t src = {data, size, 0};
    image_result_t result = IMAGE_UNDECODABLE;
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    TIFF *tif = NULL;

    if (!options) {
        op_fail(err, STATUS_OUT_OF_MEMORY, t->op_type, t->node, "out of memory");
        return IMAGE_FAILED;
    }
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, TIFF_MAX_SINGLE_ALLOC);
    TIFFOpenOptionsSetErrorHandlerExtR(options, tiff_quiet, NULL);
    TIFFOpenOptionsSetWarningHandlerExtR(options, tiff_quiet, NULL);
    /* "m": no memory mapping (the map procedure declines anyway). */
    tif = TIFFClientOpenExt("encoded_stream", "rm", (thandle_t)&src, tiff_read, tiff_write,
                            tiff_seek, tiff_close, tiff_size, tiff_map, tiff_unmap, options);
    if (!tif)
        goto cleanup;
    result = tiff_read_image(tif, t, err);
cleanup:
    if (tif)
        TIFFClose(tif);
    TIFFOpenOptionsFree(options);
    return result;
}
