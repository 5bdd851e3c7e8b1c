#!/usr/bin/env bash
# Grade one submission in an autograder image, laid out as on Gradescope, with docker or podman.
#   docker/grade.sh IMAGE SUBMISSION_FOLDER RESULTS_FOLDER [--gpus] [--metadata FILE]
#                   [--gradescope-limits]
# The submission is mounted read-only at /autograder/submission, FILE (a Gradescope
# submission_metadata.json) at /autograder/submission_metadata.json; results.json (and training
# curves) appear in RESULTS_FOLDER. run_autograder runs as root with cwd /autograder.
#   --gpus                every GPU (docker: --gpus all; podman: the CDI device nvidia.com/gpu=all)
#   --gradescope-limits   Gradescope's defaults: half a CPU, 768 MB, no network (GS_CPUS,
#                         GS_MEMORY, GS_NETWORK change them)
# GRADER_ENGINE: docker or podman (default: podman when installed, else docker).
# Exit status: run_autograder's.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 IMAGE SUBMISSION_FOLDER RESULTS_FOLDER [--gpus] [--metadata FILE]" \
        "[--gradescope-limits]" >&2
    exit 2
fi
image=$1
submission=$(cd "$2" && pwd)
mkdir -p "$3"
results=$(cd "$3" && pwd)
shift 3
engine=${GRADER_ENGINE:-$(command -v podman || command -v docker || echo docker)}
options=(-v "$submission:/autograder/submission:ro" -v "$results:/autograder/results")
while [ $# -gt 0 ]; do
    case "$1" in
        --gpus)
            case "$(basename "$engine")" in
                podman) options+=(--device nvidia.com/gpu=all) ;;
                *) options+=(--gpus all) ;;
            esac ;;
        --metadata)
            [ -f "${2:-}" ] || { echo "$0: --metadata needs a file" >&2; exit 2; }
            options+=(-v "$(cd "$(dirname "$2")" && pwd)/$(basename "$2"):/autograder/submission_metadata.json:ro")
            shift ;;
        --gradescope-limits)
            options+=(--cpus "${GS_CPUS:-0.5}" --memory "${GS_MEMORY:-768m}"
                      --memory-swap "${GS_MEMORY:-768m}" --network "${GS_NETWORK:-none}") ;;
        *) echo "$0: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
status=0
"$engine" run --rm -w /autograder "${options[@]}" "$image" /autograder/run_autograder || status=$?
echo "results: $results/results.json" >&2
exit "$status"
