#!/usr/bin/env bash
# Grade one submission in an autograder image, laid out as on Gradescope, with docker or podman.
#   docker/grade.sh IMAGE SUBMISSION_FOLDER RESULTS_FOLDER [--gpus] [--metadata FILE]
#                   [--gradescope-limits] [--own-user-ids]
# The submission is mounted read-only at /autograder/submission, FILE (a Gradescope
# submission_metadata.json) at /autograder/submission_metadata.json; results.json (and training
# curves) appear in RESULTS_FOLDER. run_autograder runs as root with cwd /autograder.
#   --gpus                every GPU (docker: --gpus all; podman: the CDI device nvidia.com/gpu=all)
#   --gradescope-limits   Gradescope's defaults: half a CPU, 768 MB, no network (GS_CPUS,
#                         GS_MEMORY, GS_NETWORK change them)
#   --own-user-ids        podman only: the container's user ids map to host ids no other process
#                         uses, as on a machine of its own. Without it, the container's nobody is
#                         the host's nobody, and the kernel counts the processes of both against
#                         the process limit of student code (RLIMIT_NPROC is per user, machine-wide).
#                         The container's root is then no host user: it reads a copy of the
#                         submission and metadata, opened to every user, never the originals.
# GRADER_ENGINE: docker or podman (default: podman when installed, else docker).
# Exit status: run_autograder's.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 IMAGE SUBMISSION_FOLDER RESULTS_FOLDER [--gpus] [--metadata FILE]" \
        "[--gradescope-limits] [--own-user-ids]" >&2
    exit 2
fi
image=$1
submission=$(cd "$2" && pwd)
mkdir -p "$3"
results=$(cd "$3" && pwd)
shift 3
engine=${GRADER_ENGINE:-$(command -v podman || command -v docker || echo docker)}
results_mount="$results:/autograder/results"
metadata=""
own_ids=""
options=()
while [ $# -gt 0 ]; do
    case "$1" in
        --gpus)
            case "$(basename "$engine")" in
                podman) options+=(--device nvidia.com/gpu=all) ;;
                *) options+=(--gpus all) ;;
            esac ;;
        --metadata)
            [ -f "${2:-}" ] || { echo "$0: --metadata needs a file" >&2; exit 2; }
            metadata="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
            shift ;;
        --gradescope-limits)
            options+=(--cpus "${GS_CPUS:-0.5}" --memory "${GS_MEMORY:-768m}"
                      --memory-swap "${GS_MEMORY:-768m}" --network "${GS_NETWORK:-none}") ;;
        --own-user-ids)
            first=$(( (RANDOM * 32768 + RANDOM) % 30000 * 65536 + 1000000 ))
            options+=(--uidmap "0:$first:65536" --gidmap "0:$first:65536")
            # The container's root writes the results: the folder becomes its.
            results_mount+=":U"
            own_ids=1 ;;
        *) echo "$0: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -n "$own_ids" ]; then
    staged=$(mktemp -d)
    trap 'rm -rf "$staged"' EXIT
    cp -R "$submission" "$staged/submission"
    submission="$staged/submission"
    if [ -n "$metadata" ]; then
        cp "$metadata" "$staged/metadata.json"
        metadata="$staged/metadata.json"
    fi
    chmod -R a+rX "$staged"
fi
status=0
[ -z "$metadata" ] || options+=(-v "$metadata:/autograder/submission_metadata.json:ro")
"$engine" run --rm -w /autograder -v "$submission:/autograder/submission:ro" \
    -v "$results_mount" "${options[@]}" "$image" /autograder/run_autograder || status=$?
echo "results: $results/results.json" >&2
exit "$status"
