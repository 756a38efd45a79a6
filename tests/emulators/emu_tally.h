/*
 * emu_tally.h - counts per name (images made per model, say) for the
 * emulators' test hooks. Zero-initialised memory is an empty tally. Not
 * locked: callers hold their emulator's lock around every call.
 */
#ifndef IG_EMU_TALLY_H
#define IG_EMU_TALLY_H

#define EMU_TALLY_MAX 16 /* names kept; counts for further names are dropped */

typedef struct emu_tally {
    char names[EMU_TALLY_MAX][64];
    int counts[EMU_TALLY_MAX];
} emu_tally;

/* Adds n to name's count. */
void emu_tally_add(emu_tally *tally, const char *name, int n);
/* name's count, or the sum over every name when name is NULL. */
int emu_tally_sum(const emu_tally *tally, const char *name);

#endif
