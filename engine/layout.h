/*
 * layout.h - the channels-last compile pass (layout.c) and the conv fusion
 * pass (fuse_conv.c), both run by graph_compile after constant folding, and
 * the bf16 activations pass (fuse_conv.c) it runs after packing.
 */
#ifndef INFERD_ENGINE_LAYOUT_H
#define INFERD_ENGINE_LAYOUT_H

#include "graph.h"

/*
 * Rewrites 2-D convolutions and the elementwise and pooling ops between
 * them to channels-last twins of their values, with reorders at the edges.
 * Producers are renumbered; consumer counts must be recomputed after.
 */
status_t graph_layout_channels_last(graph_t *g, error_t *err);

/*
 * Fuses into each ConvNHWC the Add of a residual and a Relu or Clip that
 * follow it when they are the conv output's only consumers. Needs current
 * consumer counts; fused nodes are marked removed.
 */
status_t graph_fuse_conv(graph_t *g, error_t *err);

/*
 * Fuses MobileNetV2's inverted-residual blocks (ConvNHWC 1x1 -> depthwise
 * 3x3 -> 1x1, epilogues already fused) into inferd.ConvBlockNHWC where that
 * gains (fuse_block.c). Needs current consumer counts and producers; fused
 * nodes are marked removed.
 */
status_t graph_fuse_block(graph_t *g, error_t *err);

/*
 * In the bf16 precision mode, after packing: a ConvNHWC running in bf16
 * whose output only bf16 ConvNHWCs read, as their X, writes it in bf16
 * (conv_nhwc_params_t.bf16_out), which those would round X to anyway. The
 * residual path and every other tensor stay float32. Needs current
 * consumer counts.
 */
status_t graph_conv_bf16_outputs(graph_t *g, error_t *err);

#endif
