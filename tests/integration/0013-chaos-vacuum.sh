#!/usr/bin/env bash
# The crash suite's reduced form in `make test`: SIGKILL of vacuum, with
# CHAOS_KILLS=4 (`make chaos` runs tests/chaos/ with 20). See tests/chaos/vacuum-kill.sh.
CHAOS_KILLS=${CHAOS_KILLS:-4} exec bash "$(dirname "$0")/../chaos/vacuum-kill.sh"
