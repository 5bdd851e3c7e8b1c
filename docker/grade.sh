#!/usr/bin/env bash
# Grade one submission in an autograder image, laid out as on Gradescope.
#   docker/grade.sh IMAGE SUBMISSION_FOLDER RESULTS_FOLDER [--gpus]
# The submission is mounted read-only at /autograder/submission; results.json (and training
# curves) appear in RESULTS_FOLDER. With --gpus, the container gets every GPU (--gpus all).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 IMAGE SUBMISSION_FOLDER RESULTS_FOLDER [--gpus]" >&2
    exit 2
fi
image=$1
submission=$(cd "$2" && pwd)
mkdir -p "$3"
results=$(cd "$3" && pwd)
gpus=()
if [ "${4:-}" = --gpus ]; then
    gpus=(--gpus all)
fi
docker run --rm "${gpus[@]}" \
    -v "$submission:/autograder/submission:ro" \
    -v "$results:/autograder/results" \
    "$image" /autograder/run_autograder
echo "results: $results/results.json"
