#!/usr/bin/env bash
# host-sim end-to-end tests: run_tests.sh CASE HOST_SIM CHECK_EVENTS GRAPHS_DIR FIXTURES_DIR
# Each case runs real graphs in a fresh temporary folder and checks the files
# they write, the exit status, stderr and the --events stream.
set -u
case_name=$1 hostsim=$2 check_events=$3 graphs=$4 fixtures=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail=0
die() { echo "FAIL: $*"; fail=1; }
expect_file() { # expect_file PATH CONTENT
    if [ ! -f "$1" ]; then die "$1 was not written"; return; fi
    local got; got=$(cat "$1")
    [ "$got" = "$2" ] || die "$1 holds '$got', expected '$2'"
}
ms() { date +%s%3N; }

case $case_name in
text_graph)
    # values drawn at run time so the files can only match if they went through
    n=$((RANDOM * 7 - 50000)); msg="hello-$RANDOM"; f="$RANDOM.25"
    "$hostsim" run "$graphs/text.json" --var OUT="$work" --var MSG="$msg" --var N="$n" --var SECS=0.05 \
        --var B=true --var F="$f" > stdout.txt 2> stderr.txt
    rc=$?
    [ $rc = 0 ] || die "exit status $rc"; cat stderr.txt
    [ -s stderr.txt ] && die "stderr not empty on success"
    expect_file msg.txt "msg=$msg"
    expect_file n.txt "$n"
    expect_file b.txt "true"
    awk -v a="$(cat f.txt 2>/dev/null)" -v b="$f" 'BEGIN { exit !(a + 0 == b + 0) }' || die "f.txt is not $f"
    grep -Eq '^node 4 \(LTX2Delay\): [0-9.]+ s$' stdout.txt || die "no per-node wall time on stdout"
    grep -Eq '^total: [0-9.]+ s, peak RSS [0-9.]+ MiB, device (cpu|cuda:[0-9]+ .*, peak device memory [0-9.]+ MiB)$' stdout.txt || die "no total / peak RSS / device line"
    ls "$work"/*.XXXXXX "$work"/*.txt.* 2>/dev/null && die "temporary files left behind"
    ;;
device_refused)
    # without the CUDA module: --device cuda is refused up front (exit 2) with the
    # reason; the default and --device cpu run the graph on the CPU
    n=$RANDOM
    LTX2_CUDA_MODULE=/nonexistent/libltx2cuda.so "$hostsim" run "$graphs/text.json" --var OUT="$work" \
        --var MSG=m --var N="$n" --var SECS=0 --var B=true --var F=1.5 --device cuda:0 > stdout.txt 2> stderr.txt
    rc=$?
    [ $rc = 2 ] || die "--device cuda without a GPU: exit $rc, expected 2"
    grep -q 'CUDA backend not available: ' stderr.txt || die "no reason given: $(cat stderr.txt)"
    [ -f n.txt ] && die "the graph ran although its device was refused"
    for dev in "" "--device cpu"; do
        rm -f n.txt
        # shellcheck disable=SC2086
        LTX2_CUDA_MODULE=/nonexistent/libltx2cuda.so "$hostsim" run "$graphs/text.json" --var OUT="$work" \
            --var MSG=m --var N="$n" --var SECS=0 --var B=true --var F=1.5 $dev --verbose > stdout.txt 2> stderr.txt \
            || die "run with '$dev' failed: $(cat stderr.txt)"
        expect_file n.txt "$n"
        grep -q '^device: cpu$' stderr.txt || die "--verbose does not say the device ($dev)"
        grep -Eq ', device cpu$' stdout.txt || die "summary does not name the device ($dev)"
    done
    "$hostsim" run "$graphs/text.json" --var OUT="$work" --device tpu > /dev/null 2> stderr.txt
    [ $? = 2 ] && grep -q 'cpu, cuda or cuda:N' stderr.txt || die "bad --device value not refused"
    for bad in 12X 0 -1 1e9 0x10 nan 1.5 16GG "16 G" .5G 16G. 99999999999T ""; do
        "$hostsim" run "$graphs/text.json" --var OUT="$work" --vram-budget "$bad" > /dev/null 2> stderr.txt
        [ $? = 2 ] && grep -q "vram-budget takes a size" stderr.txt || die "bad --vram-budget '$bad' not refused"
    done
    for good in 16G 8GiB 1.5G 512M 123456789 2048KB; do
        rm -f n.txt
        LTX2_CUDA_MODULE=/nonexistent/libltx2cuda.so "$hostsim" run "$graphs/text.json" --var OUT="$work" \
            --var MSG=m --var N="$n" --var SECS=0 --var B=true --var F=1.5 --device cpu --vram-budget "$good" \
            > /dev/null 2> stderr.txt || die "--vram-budget '$good' refused: $(cat stderr.txt)"
        expect_file n.txt "$n"
    done
    ;;
envelope)
    "$hostsim" run "$graphs/envelope.json" --var OUT="$work" --events ev.ndjson --quiet || die "exit status $?"
    expect_file env.txt "7"   # 7.9 on an INT port truncates as ComfyUI's int()
    grep -q '"prompt_id":"envelope-test-1"' ev.ndjson || die "prompt_id of the envelope not in the events"
    "$check_events" ev.ndjson success > /dev/null || die "events stream invalid"
    ;;
order)
    "$hostsim" run "$graphs/order.json" --var OUT="$work" --events ev.ndjson --quiet 2> stderr.txt
    rc=$?
    [ $rc = 0 ] || die "exit status $rc"
    grep -q "^warning: node 2 (PrimitiveInt): input 'bogus' is not an input of PrimitiveInt; ignored$" stderr.txt ||
        die "no warning for the unknown input"
    order=$("$check_events" ev.ndjson success) || die "events stream invalid"
    # node 3 is no ancestor of an output: it must not run; 9 before 10 (numeric order)
    [ "$order" = "2 9 10" ] || die "execution order '$order', expected '2 9 10'"
    expect_file nine.txt 5; expect_file ten.txt 5
    ;;
events)
    "$hostsim" run "$graphs/text.json" --var OUT="$work" --var MSG=m --var N=1 --var SECS=0.3 --var B=0 \
        --var F=1 --events ev.ndjson --quiet || die "exit status $?"
    order=$("$check_events" ev.ndjson success --progress 4) || die "events stream invalid"
    [ "$order" = "1 2 3 4 5 6 7 8 9" ] || die "executed order '$order'"
    # a failing run ends with execution_error naming the node and the input
    "$hostsim" run "$graphs/text.json" --var OUT="$work/missing-dir" --var MSG=m --var N=1 --var SECS=0 \
        --var B=0 --var F=1 --events err.ndjson --quiet 2> /dev/null
    [ $? = 1 ] || die "failing run: wrong exit status"
    "$check_events" err.ndjson error --node 2 > /dev/null || die "error events stream invalid"
    tail -n 1 err.ndjson | grep -q '"input":"path"' || die "execution_error does not name the input"
    # a validation failure is an execution_error too
    "$hostsim" run "$graphs/text.json" --var OUT="$work" --var MSG=m --var N=x --var SECS=0 --var B=0 \
        --var F=1 --events val.ndjson --quiet 2> /dev/null
    grep -q '"exception_type":"invalid_input_type"' val.ndjson || die "validation error not in the events"
    ;;
many_errors)
    # every invalid node in one pass: one stderr line each, ComfyUI's error body in the events
    "$hostsim" run "$graphs/many_errors.json" --var OUT="$work" --events ev.ndjson --quiet 2> stderr.txt
    rc=$?
    [ $rc = 2 ] || die "exit status $rc, expected 2"
    [ "$(grep -c '^error: ' stderr.txt)" = 4 ] || die "expected 4 error lines (nodes 1, 2, 3, 4)"
    grep -q "^error: node 1 (PrimitiveInt) input 'value': .*\[invalid_input_type\]$" stderr.txt || die "node 1"
    grep -q "^error: node 2 (LTX2Delay) input 'seconds': .*\[value_bigger_than_max\]$" stderr.txt || die "node 2"
    grep -q "^error: node 3 (LTXVLoopingSampler): .*ComfyUI-LTXVideo.*\[missing_node_type\]$" stderr.txt ||
        die "node 3"
    grep -q "^error: node 4 (LTX2SaveText) input 'path': .*\[required_input_missing\]$" stderr.txt || die "node 4"
    body=$(grep '"type":"x_ltx_prompt_error"' ev.ndjson) || die "no x_ltx_prompt_error event"
    grep -q '"error":{"type":"prompt_outputs_failed_validation"' <<< "$body" || die "error.type"
    for id in 1 2 3 4; do
        grep -q "\"$id\":{\"errors\":\[{\"type\":" <<< "$body" || die "node_errors lacks node $id"
    done
    grep -q '"1":{"errors":\[[^]]*\],"dependent_outputs":\["4"\],"class_type":"PrimitiveInt"}' <<< "$body" ||
        die "node 1's dependent_outputs is not [4]"
    grep -q '"3":{.*"dependent_outputs":\["5"\]' <<< "$body" || die "node 3's dependent_outputs is not [5]"
    grep -q '"6":' <<< "$body" && die "valid node 6 reported"
    ;;
io_graph)
    list=$("$hostsim" list) || die "host-sim list failed"
    if ! grep -q '^LoadTensors ' <<< "$list" || ! grep -q '^SaveTensors ' <<< "$list"; then
        die "LoadTensors/SaveTensors not in the plugin"; exit 1
    fi
    src=$(ls -S "$fixtures"/*.safetensors 2>/dev/null | tail -n 1)
    [ -n "$src" ] || { die "no fixtures in $fixtures (CI always has them)"; exit 1; }
    "$hostsim" run "$graphs/io.json" --var SRC="$src" --var OUT="$work" --var COPY=copy --var NAME=orig --quiet ||
        die "first run failed"
    [ -s copy.safetensors ] || die "copy.safetensors not written"
    "$hostsim" run "$graphs/io.json" --var SRC="$work/copy.safetensors" --var OUT="$work" --var COPY=copy2 \
        --var NAME=again --quiet || die "second run failed"
    [ -s orig.txt ] && cmp -s orig.txt again.txt || die "re-loaded copy differs from $src (orig.txt vs again.txt)"
    ;;
cancel)
    "$hostsim" run "$graphs/cancel.json" --var OUT="$work" --var SECS=10 --events ev.ndjson > stdout.txt 2> stderr.txt &
    pid=$!
    # signal once the delay is really running (a loaded machine may start slowly), at least 1 s in
    sleep 1
    for _ in $(seq 100); do grep -q '"type":"progress"' ev.ndjson 2>/dev/null && break; sleep 0.1; done
    t0=$(ms)
    kill -INT $pid
    wait $pid
    rc=$?
    t1=$(ms)
    echo "exited $((t1 - t0)) ms after SIGINT (wall clock, not asserted: load changes it), status $rc"
    [ $rc = 130 ] || die "exit status $rc, expected 130"
    [ -e never.txt ] && die "output file written despite the cancel"
    ls "$work" | grep -q '^never\.txt\.' && die "temporary output file left behind"
    grep -q '^cancelled: interrupted at node 2 (LTX2Delay); stopped [0-9]* ms after the request, [0-9]* ms of CPU time$' \
        stderr.txt || die "no cancel message on stderr"
    # the bound: CPU time the process spent after the request (machine load does not add to it)
    cpu=$(sed -n 's/.* \([0-9]*\) ms of CPU time$/\1/p' stderr.txt)
    [ "$cpu" -lt 1000 ] || die "$cpu ms of CPU time after the cancel request"
    "$check_events" ev.ndjson interrupted --node 2 --progress 2 > /dev/null || die "events stream invalid"
    ;;
term_hup)
    # SIGTERM and SIGHUP cancel like SIGINT: temp files removed, a message, 128 + the signal
    for sig in TERM HUP; do
        "$hostsim" run "$graphs/cancel.json" --var OUT="$work" --var SECS=10 --events ev.ndjson > stdout.txt 2> stderr.txt &
        pid=$!
        sleep 1
        for _ in $(seq 100); do grep -q '"type":"progress"' ev.ndjson 2>/dev/null && break; sleep 0.1; done
        kill -$sig $pid
        wait $pid
        rc=$?
        want=$((128 + $(kill -l $sig)))
        [ $rc = $want ] || die "SIG$sig: exit status $rc, expected $want"
        grep -q "^cancelled by SIG$sig: interrupted at node 2 (LTX2Delay)" stderr.txt || die "SIG$sig: no cancel message"
        ls "$work" | grep -q '^never\.txt' && die "SIG$sig: output or temp file left behind"
        "$check_events" ev.ndjson interrupted --node 2 > /dev/null || die "SIG$sig: events stream invalid"
    done
    ;;
sigbus)
    # a model file truncated while mapped: an error naming it, not a crash, and no output
    src="$work/src.safetensors"
    { printf '\x38\x00\x00\x00\x00\x00\x00\x00'
      printf '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  '
      printf '\x00\x00\x80\x3f'; } > "$src"
    "$hostsim" run "$graphs/mapped.json" --var SRC="$src" --var OUT="$work/out" --var SECS=0 --quiet ||
        die "the untouched file does not copy"
    [ -s "$work/out/copy.safetensors" ] || die "copy.safetensors not written"
    rm -rf "$work/out"
    # cut the file while the delay holds the mapped tensor; SaveTensors then reads it
    "$hostsim" run "$graphs/mapped.json" --var SRC="$src" --var OUT="$work/out" --var SECS=4 \
        --events ev.ndjson --quiet 2> stderr.txt &
    pid=$!
    for _ in $(seq 200); do grep -q '"type":"progress"' ev.ndjson 2>/dev/null && break; sleep 0.05; done
    truncate -s 0 "$src"
    wait $pid
    rc=$?
    [ $rc = 1 ] || die "exit status $rc, expected 1 (not a signal death)"
    grep -q "^error: $src was truncated or rewritten while mapped" stderr.txt || die "no error naming $src"
    [ -e "$work/out" ] && [ -n "$(ls -A "$work/out")" ] && die "output or temp file left in $work/out"
    ;;
link_range)
    # a number arriving through a link meets the port's min/max like a literal
    "$hostsim" run "$graphs/link_range.json" --var OUT="$work" --var SECS=-5 --events ev.ndjson --quiet 2> stderr.txt
    [ $? = 1 ] || die "out-of-range linked value: wrong exit status"
    grep -q "^error: node 2 (LTX2Delay) input 'seconds': value -5 is smaller than the minimum 0" stderr.txt ||
        die "no range error naming node 2's input"
    [ -e secs.txt ] && die "the node ran with an out-of-range value"
    "$check_events" ev.ndjson error --node 2 > /dev/null || die "events stream invalid"
    "$hostsim" run "$graphs/link_range.json" --var OUT="$work" --var SECS=0.01 --quiet || die "in-range value refused"
    expect_file secs.txt 0.01
    ;;
special_files)
    # inputs that are not regular files are refused at once (a FIFO would block open())
    mkfifo graph.fifo
    "$hostsim" run graph.fifo --quiet 2> stderr.txt
    [ $? = 2 ] || die "FIFO graph: wrong exit status"
    grep -q '^error: cannot read graph graph.fifo: it is a FIFO' stderr.txt || die "FIFO graph: message"
    "$hostsim" run /dev/zero --quiet 2> stderr.txt
    grep -q '^error: cannot read graph /dev/zero: it is a character device' stderr.txt || die "/dev/zero graph"
    truncate -s 100M big.json
    "$hostsim" run big.json --quiet 2> stderr.txt
    grep -q 'more than the 64 MiB limit' stderr.txt || die "oversized graph not refused before reading"
    # manifest -o onto a device or a link: refused, the node untouched
    if [ "$(id -u)" = 0 ]; then
        "$hostsim" manifest -o /dev/null 2> stderr.txt && die "manifest -o /dev/null succeeded"
        [ -c /dev/null ] || die "/dev/null is no longer a device"
    fi
    echo keep > real.json; ln -s real.json link.json
    "$hostsim" manifest -o link.json 2> stderr.txt && die "manifest -o onto a symlink succeeded"
    grep -q 'symbolic link' stderr.txt || die "symlink refusal message"
    [ -L link.json ] && [ "$(cat real.json)" = keep ] || die "the link or its target changed"
    "$hostsim" manifest -o m.json && [ -s m.json ] || die "manifest -o to a plain file failed"
    # --events onto a full disk: the run reports the lost events instead of exit 0
    if [ -w /dev/full ]; then
        "$hostsim" run "$graphs/text.json" --var OUT="$work" --var MSG=m --var N=1 --var SECS=0 --var B=0 \
            --var F=1 --events /dev/full --quiet 2> stderr.txt
        [ $? = 1 ] || die "--events /dev/full: exit status $?"
        grep -q '^error: .*event(s) could not be written to /dev/full: No space left on device' stderr.txt ||
            die "--events /dev/full: no error"
    fi
    ;;
*)
    echo "unknown case $case_name"; exit 2 ;;
esac
[ -f stderr.txt ] && { echo "--- stderr:"; cat stderr.txt; }
exit $fail
