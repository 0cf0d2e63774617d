#!/usr/bin/env bash
# Usage: [GPUS=4] [GPUS_PER_NODE=4] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# Tests with one Slurm task per GPU, on as many nodes as GPUS needs.
exec "$(dirname "$0")/slurm_launch.sh" "$1" "$2" test.py "$3" "$4" \
    --launcher=slurm "${@:5}"
