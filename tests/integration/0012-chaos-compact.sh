#!/usr/bin/env bash
# The crash suite's reduced form in `make test`: SIGKILL of compact, with
# CHAOS_KILLS=4 (`make chaos` runs tests/chaos/ with 20). See tests/chaos/compact-kill.sh.
CHAOS_KILLS=${CHAOS_KILLS:-4} exec bash "$(dirname "$0")/../chaos/compact-kill.sh"
