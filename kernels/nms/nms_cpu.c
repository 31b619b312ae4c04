#include "nms.h"

#include <math.h>

#include "sort.h"

/* A box as its corners, whichever way the model gave them. */
typedef struct nms_box {
    float y1, x1, y2, x2;
} nms_box_t;

static nms_box_t nms_corners(const float *b, bool center)
{
    nms_box_t r;

    if (center) {
        r.x1 = b[0] - b[2] / 2;
        r.x2 = b[0] + b[2] / 2;
        r.y1 = b[1] - b[3] / 2;
        r.y2 = b[1] + b[3] / 2;
    } else {
        /* Any two opposite corners, in either order. */
        r.y1 = fminf(b[0], b[2]);
        r.y2 = fmaxf(b[0], b[2]);
        r.x1 = fminf(b[1], b[3]);
        r.x2 = fmaxf(b[1], b[3]);
    }
    return r;
}

/* Intersection over union; 0 when either box has no area. */
static float nms_iou(nms_box_t a, nms_box_t b)
{
    float area_a = (a.y2 - a.y1) * (a.x2 - a.x1), area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
    float h = fminf(a.y2, b.y2) - fmaxf(a.y1, b.y1), w = fminf(a.x2, b.x2) - fmaxf(a.x1, b.x1);
    float inter, uni;

    if (area_a <= 0 || area_b <= 0 || h <= 0 || w <= 0)
        return 0;
    inter = h * w;
    uni = area_a + area_b - inter;
    return uni > 0 ? inter / uni : 0;
}

/* Decreasing score; the stable sort keeps box order among equal scores. */
static int nms_order(const void *ctx, int64_t a, int64_t b)
{
    const float *score = ctx;
    return (score[a] < score[b]) - (score[a] > score[b]);
}

status_t nms_run(op_call_t *call, error_t *err)
{
    const nms_params_t *p = call->params;
    const tensor_t *boxes = call->inputs[0], *scores = call->inputs[1];
    const tensor_t *max_t = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *iou_t = call->n_inputs > 3 ? call->inputs[3] : NULL;
    const tensor_t *score_t = call->n_inputs > 4 ? call->inputs[4] : NULL;
    int64_t batches = boxes->dims[0], n = boxes->dims[1], classes = scores->dims[1];
    int64_t max_out = max_t ? *(const int64_t *)max_t->data : 0, total = 0, dims[2] = {0, 3};
    float iou_threshold = iou_t ? *(const float *)iou_t->data : 0;
    bool has_score_threshold = score_t != NULL;
    float score_threshold = score_t ? *(const float *)score_t->data : 0;
    int64_t *cand = call->workspace, *tmp, *kept;
    status_t st = op_call_output(call, 0, 2, dims, err);

    if (st || max_out <= 0 || n == 0)
        return st;
    tmp = cand + n;
    kept = tmp + n;
    for (int64_t b = 0; b < batches; b++)
        for (int64_t c = 0; c < classes; c++) {
            const float *s = (const float *)scores->data + ((size_t)b * classes + c) * (size_t)n;
            const float *bx = (const float *)boxes->data + (size_t)b * (size_t)n * 4;
            int64_t n_cand = 0, n_kept = 0;
            int64_t *y;
            for (int64_t i = 0; i < n; i++)
                if (!has_score_threshold || s[i] > score_threshold)
                    cand[n_cand++] = i;
            sort_indices(cand, tmp, n_cand, nms_order, s);
            for (int64_t i = 0; i < n_cand && n_kept < max_out; i++) {
                nms_box_t box = nms_corners(bx + cand[i] * 4, p->center_point_box);
                bool keep = true;
                for (int64_t j = 0; j < n_kept && keep; j++)
                    keep = nms_iou(box, nms_corners(bx + kept[j] * 4, p->center_point_box)) <=
                           iou_threshold;
                if (keep)
                    kept[n_kept++] = cand[i];
            }
            if (n_kept == 0)
                continue;
            /* The output grows as classes add boxes, keeping what earlier ones wrote. */
            dims[0] = total + n_kept;
            st = op_call_output(call, 0, 2, dims, err);
            if (st)
                return st;
            y = (int64_t *)call->outputs[0].data + total * 3;
            for (int64_t j = 0; j < n_kept; j++) {
                y[j * 3] = b;
                y[j * 3 + 1] = c;
                y[j * 3 + 2] = kept[j];
            }
            total += n_kept;
        }
    return STATUS_OK;
}
