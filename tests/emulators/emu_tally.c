/* emu_tally.c - see emu_tally.h. */
#include "emulators/emu_tally.h"

#include <stdio.h>
#include <string.h>

void emu_tally_add(emu_tally *tally, const char *name, int n)
{
    for (int i = 0; i < EMU_TALLY_MAX; i++) {
        if (!tally->names[i][0])
            snprintf(tally->names[i], sizeof tally->names[i], "%s", name);
        if (!strcmp(tally->names[i], name)) {
            tally->counts[i] += n;
            return;
        }
    }
}

int emu_tally_sum(const emu_tally *tally, const char *name)
{
    int n = 0;
    for (int i = 0; i < EMU_TALLY_MAX && tally->names[i][0]; i++)
        if (!name || !strcmp(name, tally->names[i]))
            n += tally->counts[i];
    return n;
}
