#!/usr/bin/env bash
# The crash suite's reduced form in `make test`: a full disk under the stream, with
# CHAOS_KILLS=4 (`make chaos` runs tests/chaos/ with 20). See tests/chaos/disk-full.sh.
CHAOS_KILLS=${CHAOS_KILLS:-4} exec bash "$(dirname "$0")/../chaos/disk-full.sh"
