#!/usr/bin/env bash
# Runs every live == replay lab test RUNS times (20 by default) while two
# CPU hogs keep both cores busy; with --build a cargo build of the project
# runs beside them, and with --slow-capture every tracetcp's capture thread
# is made SCHED_IDLE (it runs only when nothing else wants a core: under
# the hogs, a capture that hands packets over late). A replay must say what
# the live run said whatever the timing, the flow (each run picks its own)
# and the load. Prints one line per run and a closing count. As root, by
# hand (too long for the test command):
#     bash tests/determinism.sh [RUNS] [--build] [--slow-capture]
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
runs="${1:-20}"
# The test binaries are built once and run directly: edits made while
# this runs do not change what is measured.
declare -A bin
while read -r name path; do
    bin[$name]=$path
done < <(cargo test --no-run --tests --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])')
[ -n "${bin[lab_e2e]:-}" ] || { echo "determinism: the tests do not build" >&2; exit 1; }
hogs=()
cleanup() { kill "${hogs[@]}" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
for _ in 1 2; do
    ( while :; do :; done ) &
    hogs+=($!)
done
for option in "${@:2}"; do
    case "$option" in
    --build)
        ( while :; do CARGO_TARGET_DIR=/tmp/tracetcp-load cargo build --release --quiet >/dev/null 2>&1; rm -rf /tmp/tracetcp-load; done ) &
        hogs+=($!)
        ;;
    --slow-capture)
        ( while :; do
            for t in /proc/[0-9]*/task/[0-9]*; do
                [ "$(cat "$t/comm" 2>/dev/null)" = capture ] && chrt --idle -p 0 "${t##*/}" >/dev/null 2>&1
            done
            sleep 0.002
        done ) &
        hogs+=($!)
        ;;
    *) echo "determinism: unknown option $option" >&2; exit 2 ;;
    esac
done
tests=(
    "lab_e2e every_scenario_replays_exactly_as_it_ran_live"
    "lab_e2e every_recorded_packet_says_what_it_was"
    "edges_e2e a_stripped_tcp_option_shows_at_the_right_hop_live_and_replayed"
    "mtu_e2e an_announced_mtu_is_found_at_the_right_hop"
    "mtu_e2e a_black_hole_is_named_with_its_hop_and_exact_size"
    "mtu_e2e every_kind_of_a_comparison_finds_the_black_hole"
    "multipath_e2e a_stop_on_one_branch_is_the_path_not_the_port"
    "watch_e2e rounds_tell_a_routers_limit_from_loss_on_the_path_ipv4"
    "watch_e2e rounds_tell_a_routers_limit_from_loss_on_the_path_ipv6"
    "middlebox_e2e a_quote_rewritten_and_not_restored_hides_no_hop"
    "middlebox_e2e a_stateless_nat_hides_no_hop_and_is_named"
    "middlebox_e2e mpls_stacks_show_whatever_the_length_field_says"
    "unprivileged_e2e a_recording_without_privileges_replays_as_it_ran"
    "many_e2e a_whole_run_recorded_replays_as_it_printed"
)
passed=0
failed=0
for run in $(seq 1 "$runs"); do
    for t in "${tests[@]}"; do
        set -- $t
        log="/tmp/determinism-$run-$1-$2.log"
        if "${bin[$1]}" --include-ignored --exact "$2" >"$log" 2>&1 && grep -q "1 passed" "$log"; then
            passed=$((passed + 1))
            rm -f "$log"
        else
            failed=$((failed + 1))
            echo "run $run: $1 $2 FAILED (log: $log)"
        fi
    done
    echo "run $run of $runs done: $passed passed, $failed failed so far"
done
echo "determinism: $passed passed, $failed failed"
[ "$failed" = 0 ]
