/*
 * image_decoder_jp2.c - JPEG 2000 through OpenJPEG: JP2 files and raw J2K
 * codestreams, one component (gray; a second, alpha, is not decoded) or
 * three and more (RGB from the first three). Components must all have the
 * image's full size (subsampled ones are undecodable). Samples of other
 * precisions are scaled to 8 bits as Pillow scales them (rounded shift
 * down, shift up), signed ones offset first. OpenJPEG's messages go to
 * handlers that drop them; its memory is bounded by the size checked
 * before decoding (one int32 plane per decoded component).
 */
#include "image_decoder.h"

#include <openjpeg.h>
#include <string.h>

static const uint8_t jp2_signature[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a};
static const uint8_t j2k_signature[4] = {0xff, 0x4f, 0xff, 0x51};

typedef struct jp2_source {
    const uint8_t *data;
    OPJ_UINT64 size, at;
} jp2_source_t;

bool image_jp2_sniff(const uint8_t *data, size_t size)
{
    return (size >= sizeof jp2_signature &&
            memcmp(data, jp2_signature, sizeof jp2_signature) == 0) ||
           (size >= sizeof j2k_signature && memcmp(data, j2k_signature, sizeof j2k_signature) == 0);
}

static OPJ_SIZE_T jp2_read(void *out, OPJ_SIZE_T n, void *user)
{
    jp2_source_t *s = user;
    const OPJ_UINT64 left = s->size - s->at;

    if (left == 0)
        return (OPJ_SIZE_T)-1; /* OpenJPEG's end of stream */
    if (n > left)
        n = (OPJ_SIZE_T)left;
    memcpy(out, s->data + s->at, n);
    s->at += n;
    return n;
}

static OPJ_OFF_T jp2_skip(OPJ_OFF_T n, void *user)
{
    jp2_source_t *s = user;

    if (n < 0 || (OPJ_UINT64)n > s->size - s->at)
        return -1;
    s->at += (OPJ_UINT64)n;
    return n;
}

static OPJ_BOOL jp2_seek(OPJ_OFF_T at, void *user)
{
    jp2_source_t *s = user;

    if (at < 0 || (OPJ_UINT64)at > s->size)
        return OPJ_FALSE;
    s->at = (OPJ_UINT64)at;
    return OPJ_TRUE;
}

static void jp2_quiet(const char *message, void *user)
{
    (void)message;
    (void)user;
}

/* One sample to 8 bits, as Pillow converts (rounded shift down, plain shift up). */
static uint8_t jp2_sample(OPJ_INT32 v, const opj_image_comp_t *c)
{
    int64_t u = (int64_t)v + (c->sgnd ? (INT64_C(1) << (c->prec - 1)) : 0);

    if (c->prec > 8)
        u = (u + (INT64_C(1) << (c->prec - 9))) >> (c->prec - 8);
    else if (c->prec < 8)
        u <<= 8 - c->prec;
    return (uint8_t)(u < 0 ? 0 : u > 255 ? 255 : u);
}

static image_result_t jp2_read_image(opj_codec_t *codec, opj_stream_t *stream, image_target_t *t,
                                     opj_image_t **image, error_t *err)
{
    image_result_t begun;
    OPJ_UINT32 used, width, height;
    const OPJ_UINT32 wanted[3] = {0, 1, 2};
    uint8_t *row;

    if (!opj_read_header(stream, codec, image) || (*image)->numcomps == 0 ||
        (*image)->x1 <= (*image)->x0 || (*image)->y1 <= (*image)->y0)
        return IMAGE_UNDECODABLE;
    width = (*image)->x1 - (*image)->x0;
    height = (*image)->y1 - (*image)->y0;
    used = (*image)->numcomps >= 3 ? 3 : 1;
    for (OPJ_UINT32 c = 0; c < used; c++)
        if ((*image)->comps[c].dx != 1 || (*image)->comps[c].dy != 1 ||
            (*image)->comps[c].prec < 1 || (*image)->comps[c].prec > 31)
            return IMAGE_UNDECODABLE;
    /* The limits before OpenJPEG allocates its planes; the others are not decoded. */
    begun = image_target_begin(t, height, width, err);
    if (begun != IMAGE_DECODED)
        return begun;
    if (used < (*image)->numcomps && !opj_set_decoded_components(codec, used, wanted, OPJ_FALSE))
        return IMAGE_UNDECODABLE;
    if (!opj_decode(codec, stream, *image) || !opj_end_decompress(codec, stream))
        return IMAGE_UNDECODABLE;
    for (OPJ_UINT32 c = 0; c < used; c++) {
        const opj_image_comp_t *comp = &(*image)->comps[c];
        if (!comp->data || comp->w != width || comp->h != height)
            return IMAGE_UNDECODABLE;
    }
    row = t->scratch(t, 0, (size_t)width * 3, err);
    if (!row)
        return IMAGE_FAILED;
    for (OPJ_UINT32 y = 0; y < height; y++) {
        for (OPJ_UINT32 x = 0; x < width; x++)
            for (OPJ_UINT32 c = 0; c < used; c++) {
                const opj_image_comp_t *comp = &(*image)->comps[c];
                row[used * x + c] = jp2_sample(comp->data[(size_t)y * width + x], comp);
            }
        image_target_row(t, y, row, used == 3 ? IMAGE_LAYOUT_RGB : IMAGE_LAYOUT_GRAY);
    }
    return IMAGE_DECODED;
}

image_result_t image_jp2_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    jp2_source_t src = {data, size, 0};
    const bool jp2 = size >= sizeof jp2_signature && data[0] == 0;
    opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_stream_t *stream = opj_stream_default_create(OPJ_TRUE);
    opj_image_t *image = NULL;
    opj_dparameters_t parameters;
    image_result_t result = IMAGE_UNDECODABLE;

    if (!codec || !stream) {
        op_fail(err, STATUS_OUT_OF_MEMORY, t->op_type, t->node, "out of memory");
        result = IMAGE_FAILED;
        goto cleanup;
    }
    opj_set_info_handler(codec, jp2_quiet, NULL);
    opj_set_warning_handler(codec, jp2_quiet, NULL);
    opj_set_error_handler(codec, jp2_quiet, NULL);
    opj_set_default_decoder_parameters(&parameters);
    if (!opj_setup_decoder(codec, &parameters))
        goto cleanup;
    opj_stream_set_user_data(stream, &src, NULL);
    opj_stream_set_user_data_length(stream, size);
    opj_stream_set_read_function(stream, jp2_read);
    opj_stream_set_skip_function(stream, jp2_skip);
    opj_stream_set_seek_function(stream, jp2_seek);
    result = jp2_read_image(codec, stream, t, &image, err);
cleanup:
    if (image)
        opj_image_destroy(image);
    if (stream)
        opj_stream_destroy(stream);
    if (codec)
        opj_destroy_codec(codec);
    return result;
}
