/*
 * rdn_internal.h - the loaded network, shared by rdn_model.c (loading) and
 * rdn_engine.c (running). Not for other files: they use rdn.h.
 */
#ifndef IG_RDN_INTERNAL_H
#define IG_RDN_INTERNAL_H

#include "providers/local/rdn.h"
#include "providers/local/rdn_format.h"

/* One convolution, repacked for sgemm: for each of the k*k kernel taps a
 * cout x cin row-major matrix, so that out += tap * shifted input. */
typedef struct rdn_conv {
    int k, cin, cout;
    float *taps; /* k*k*cout*cin */
    float *bias; /* cout */
} rdn_conv;

struct ig_rdn {
    rdn_conv f_m1, f_0;
    rdn_conv block[RDN_BLOCKS][RDN_CONVS];
    rdn_conv lff[RDN_BLOCKS];
    rdn_conv gff1, gff2;
    rdn_conv up1, up2, up3, sr;
};

#endif
