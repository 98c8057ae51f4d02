/* sim internals shared by sim.c and sim_faults.c. */
#ifndef TL_SIM_SIM_INT_H
#define TL_SIM_SIM_INT_H

#include "sim/sim.h"
#include "sim/sim_rng.h"
#include "tick/tick.h"

/* Write a malformed or invalid message derived from the valid tick `t`
 * into buf (cap >= 512). Returns its length. */
size_t tl_sim_bad_payload(tl_rng *rng, const tl_tick *t, char *buf, size_t cap);

#endif
