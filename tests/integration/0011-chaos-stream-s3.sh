#!/usr/bin/env bash
# The crash suite's reduced form in `make test`: SIGKILL of stream on an S3 lake (moto), with
# CHAOS_KILLS=4 (`make chaos` runs tests/chaos/ with 20). See tests/chaos/stream-kill.sh.
CHAOS_KILLS=${CHAOS_KILLS:-4} exec bash "$(dirname "$0")/../chaos/stream-kill.sh" s3
