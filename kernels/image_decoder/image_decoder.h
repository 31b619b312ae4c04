/*
 * image_decoder.h - ImageDecoder (opset 20): decodes one encoded image (a
 * 1-D uint8 stream: BMP, JPEG, JPEG 2000, TIFF, PNG, WebP, PBM/PGM/PPM)
 * into uint8 [H, W, C], C = 3 for pixel_format RGB or BGR and 1 for
 * Grayscale. The shape depends on the stream, so the output is dynamic
 * (op.h, engine/segment.h).
 *
 * What the op answers:
 *   - a stream it decodes: the image, converted to pixel_format;
 *   - a stream it cannot decode (unknown format, corrupt, truncated, a
 *     variant the libraries do not read): an empty image [0, 0, C], as the
 *     spec says ("If it can't decode for any reason ... it will return an
 *     empty matrix");
 *   - a well-formed stream whose size is over the limits below: a failure,
 *     STATUS_LIMIT_EXCEEDED naming the op, the node, the size and the limit.
 *     The limits are the server's policy, not a property of the data: a
 *     client whose photo is too big must learn that, not receive an empty
 *     image it would take for a corrupt file.
 *
 * Conversions follow Pillow, the ONNX reference implementation's decoder:
 * gray sources are replicated to RGB; RGB becomes gray with the ITU-R
 * 601-2 luma in 16-bit fixed point (Pillow's convert("L")); alpha is
 * dropped, not composited; 16-bit samples keep their high byte; palettes
 * are expanded. The JPEG chroma upsampling is libjpeg-turbo's default
 * ("fancy"), which the spec prescribes.
 *
 * The decoders parse hostile bytes (the stream arrives in a request).
 * Codecs with a long history of hostile-input hardening do the work
 * (libjpeg-turbo, libpng, libwebp, libtiff, OpenJPEG), linked rather than
 * dlopen'ed so that a missing library fails at start-up, not at a request;
 * BMP and PNM are parsed here. Every decoder reads the image's size first
 * and checks it against the limits before anything sized by it is
 * allocated, and never lets a library exit or print.
 */
#ifndef INFERD_IMAGE_DECODER_H
#define INFERD_IMAGE_DECODER_H

#include "op.h"

/*
 * Longest side: 2^16 - 1 is what most of the formats can store at all
 * (JPEG's and WebP's 16-bit sizes), so it refuses nothing a camera makes.
 */
#define IMAGE_DECODER_MAX_SIDE 65535
/*
 * Most pixels: 2^26 (a 64-megapixel photo, 8192 x 8192). A JPEG or PNG of
 * a few kilobytes can declare any size, and decoding it costs up to about
 * 10 bytes a pixel (the output, a source row buffer or whole-image buffer,
 * libjpeg's coefficients for progressive files): 2^26 keeps one request
 * under 1 GiB.
 */
#define IMAGE_DECODER_MAX_PIXELS (INT64_C(1) << 26)
/*
 * Most scans a progressive JPEG may have. Each scan makes libjpeg-turbo walk
 * every coefficient again, so a small file of thousands of tiny scans takes
 * minutes (the "progressive scan" denial of service); real encoders write
 * about 10, and libjpeg-turbo 3's own TJPARAM_SCANLIMIT example uses 500.
 */
#define IMAGE_DECODER_MAX_SCANS 500

typedef enum image_pixel_format {
    IMAGE_PIXEL_RGB,
    IMAGE_PIXEL_BGR,
    IMAGE_PIXEL_GRAY,
} image_pixel_format_t;

typedef struct image_decoder_params {
    image_pixel_format_t format;
} image_decoder_params_t;

extern const op_kernel_t image_decoder_kernel;

/* CPU implementation (image_decoder_cpu.c). */
status_t image_decoder_run(op_call_t *call, error_t *err);

/* Channels of the output for a pixel format: 1 for gray, 3 otherwise. */
int image_pixel_channels(image_pixel_format_t format);

/* ---- The framework-free decoder (image_decoder_cpu.c and the per-format files) ---- */

/* What decoding a stream gave. */
typedef enum image_result {
    IMAGE_DECODED,     /* the target holds the image */
    IMAGE_UNDECODABLE, /* not a stream the decoders read: the op answers an empty image */
    IMAGE_FAILED,      /* err is set: a limit, or memory */
} image_result_t;

/*
 * Where the decoded pixels go. The caller sets format, names (for messages)
 * and the two allocators; image_target_begin sets the rest once the
 * decoder knows the size.
 */
typedef struct image_target {
    image_pixel_format_t format;
    const char *op_type, *node;
    /*
     * The [height, width, channels] output: NULL with err set on failure.
     * Called at most once per decode.
     */
    uint8_t *(*output)(struct image_target *t, int64_t height, int64_t width, error_t *err);
    /*
     * Scratch slot (< IMAGE_SCRATCH_SLOTS) of at least bytes, for decoders
     * that need a whole source image or a row: NULL with err set on failure.
     * Owned by the caller, valid until the decode returns.
     */
    void *(*scratch)(struct image_target *t, int slot, size_t bytes, error_t *err);
    void *ctx; /* the caller's, for the allocators */
    /* Set by image_target_begin. */
    uint8_t *pixels;
    int64_t height, width;
    int channels;
} image_target_t;

#define IMAGE_SCRATCH_SLOTS 2

/*
 * A source row's layout: bytes per pixel and where red, green and blue
 * are in it (all three the same offset for gray). Alpha and padding bytes
 * are skipped.
 */
typedef struct image_layout {
    int bytes; /* per pixel */
    int r, g, b;
} image_layout_t;

#define IMAGE_LAYOUT_GRAY       ((image_layout_t){1, 0, 0, 0})
#define IMAGE_LAYOUT_GRAY_ALPHA ((image_layout_t){2, 0, 0, 0})
#define IMAGE_LAYOUT_RGB        ((image_layout_t){3, 0, 1, 2})
#define IMAGE_LAYOUT_RGBA       ((image_layout_t){4, 0, 1, 2})
#define IMAGE_LAYOUT_BGR        ((image_layout_t){3, 2, 1, 0})
#define IMAGE_LAYOUT_BGRA       ((image_layout_t){4, 2, 1, 0})

/*
 * Decodes size bytes at data into t (the framework-free core the op and
 * the fuzz harness call). Sniffs the format from the leading bytes.
 */
image_result_t image_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);

/*
 * For decoders: the image is height x width. Undecodable when a side is 0
 * or negative, failed when over IMAGE_DECODER_MAX_SIDE or
 * IMAGE_DECODER_MAX_PIXELS or when the output cannot be had; otherwise
 * sets t->pixels and its size.
 */
image_result_t image_target_begin(image_target_t *t, int64_t height, int64_t width, error_t *err);

/* For decoders: source row y (t->width pixels of layout) into the output, converted. */
void image_target_row(image_target_t *t, int64_t y, const uint8_t *src, image_layout_t layout);

/* Pillow's RGB to gray (ITU-R 601-2 luma, 16-bit fixed point, halves rounded up). */
static inline uint8_t image_luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

/* The per-format decoders: sniff is true when the leading bytes are that format's. */
bool image_bmp_sniff(const uint8_t *data, size_t size);
image_result_t image_bmp_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
bool image_pnm_sniff(const uint8_t *data, size_t size);
image_result_t image_pnm_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
bool image_png_sniff(const uint8_t *data, size_t size);
image_result_t image_png_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
bool image_jpeg_sniff(const uint8_t *data, size_t size);
image_result_t image_jpeg_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
bool image_webp_sniff(const uint8_t *data, size_t size);
image_result_t image_webp_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
bool image_tiff_sniff(const uint8_t *data, size_t size);
image_result_t image_tiff_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
bool image_jp2_sniff(const uint8_t *data, size_t size);
image_result_t image_jp2_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err);

#endif
