// test_mode misbehaviours for the host's tests (boot_abi.h PVG_TEST_*).
#ifndef PVG_GUEST_TESTMODE_H
#define PVG_GUEST_TESTMODE_H

#include "boot_abi.h"

/** Ring 0, before the IDT: the triple fault (returns for every other mode). */
void test_mode_kernel(volatile struct pvg_boot* b);
/** Ring 3: test_mode's misbehaviour. Returns only for PVG_TEST_NONE and after PVG_TEST_WRITE_READ_ONLY. */
void test_mode_run(volatile struct pvg_boot* b);

#endif
