#!/usr/bin/env bash
# Usage: [GPUS=4] [GPUS_PER_NODE=4] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# Trains with one Slurm task per GPU, on as many nodes as GPUS needs.
exec "$(dirname "$0")/slurm_launch.sh" "$1" "$2" train.py "$3" \
    --work-dir="$4" --launcher=slurm "${@:5}"
