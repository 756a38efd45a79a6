/*
 * rdn_format.h - the weights file the build writes (rdn_convert) and the
 * extension loads (rdn_model.c).
 *
 * The npm package ships a TensorFlow.js layers model: model.json (the
 * Keras graph plus a manifest of 96 tensors) and one binary shard of uint8
 * values, each tensor quantised as value = min + q * scale. The file keeps
 * that compact form (about 2.6 MB) and drops the JSON:
 *
 *   "IGRDNW1\n"                      8-byte magic (the 1 is the version)
 *   uint32 tensor count
 *   per tensor, in the manifest's order:
 *     char name[32]                  "F_0/kernel", NUL-padded
 *     uint32 shape[4]                Keras order: kernels HWIO, biases [n,1,1,1]
 *     float min, scale               dequantisation
 *     uint8 q[shape product]
 *
 * Integers and floats are little-endian (the build machine's own order; the
 * file is made where it is used).
 */
#ifndef IG_RDN_FORMAT_H
#define IG_RDN_FORMAT_H

#include <stdint.h>

#define RDN_MAGIC "IGRDNW1\n"
#define RDN_MAGIC_LEN 8
#define RDN_NAME_LEN 32
#define RDN_MAX_TENSORS 256

/* The architecture this engine implements: RDN with D residual dense
 * blocks of C convolutions, G feature channels; upsampling by a 5x5 and two
 * 3x3 convolutions, nearest 2x, and a final 3x3 to RGB. */
#define RDN_BLOCKS 10
#define RDN_CONVS 3
#define RDN_G 64
#define RDN_UP1 64 /* UPN1, 5x5 */
#define RDN_UP2 32 /* UPN2, 3x3 */
#define RDN_UP3 12 /* UPN3, 3x3, before the 2x nearest upsample */

#endif
