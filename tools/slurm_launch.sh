#!/usr/bin/env bash
# Usage: [GPUS=4] [GPUS_PER_NODE=4] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     tools/slurm_launch.sh PARTITION JOB_NAME SCRIPT [script arguments]
# Runs tools/SCRIPT as GPUS Slurm tasks, one per GPU, GPUS_PER_NODE on each
# node; used by slurm_train.sh and slurm_test.sh.
set -x

PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

# SRUN_ARGS is split into words on purpose.
# shellcheck disable=SC2086
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/${SCRIPT}" "${@:4}"
