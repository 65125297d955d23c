#!/usr/bin/env bash
# ComfyUI-compatibility tests: run_tests.sh CASE HOST_SIM [NAME]
set -u
case_name=$1 hostsim=$2 name=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
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

case $case_name in
convert)
    # the API prompt the editor would queue, byte for byte (ids sorted, inputs in widget then link order)
    "$hostsim" convert "$here/ui/$name.json" -o got.json 2> stderr.txt || die "convert exit status $?"
    diff -u "$here/api/$name.json" got.json || die "converted prompt differs from api/$name.json"
    ;;
convert_errors)
    # a reroute loop and a subgraph that contains itself are refused, not followed forever
    "$hostsim" convert "$here/ui_bad/reroute_loop.json" > /dev/null 2> e1.txt
    [ $? = 2 ] && grep -q 'circular reference' e1.txt || die "reroute loop not refused"
    "$hostsim" convert "$here/ui_bad/self_subgraph.json" > /dev/null 2> e2.txt
    [ $? = 2 ] && grep -q 'nested too deeply' e2.txt || die "self-containing subgraph not refused"
    ;;
run_ui)
    # a UI workflow runs directly; values reach the files through reroute, bypass and two subgraph levels
    "$hostsim" run "$here/ui/rules.json" --var OUT="$work" --quiet 2> stderr.txt || die "exit status $?"
    expect_file bypass.txt 7
    expect_file nested.txt 7
    [ -e muted.txt ] && die "the muted node ran"
    # --bypass on every LTX2Delay: the "*" rule passes input 0 of the inner Delay, its promoted seconds value
    rm -f ./*.txt
    "$hostsim" run "$here/ui/rules.json" --var OUT="$work" --bypass LTX2Delay --quiet 2>> stderr.txt ||
        die "exit status $? with --bypass"
    expect_file nested.txt 0.02
    ;;
bypass_api)
    # --bypass on an API prompt, the editor's rule: a "*" consumer takes the bypassed node's input of
    # the same slot (here each Delay's seconds), through a chain of two bypassed nodes
    n=$RANDOM.5
    cat > p.json <<JSON
{"1": {"class_type": "PrimitiveFloat", "inputs": {"value": $n}},
 "2": {"class_type": "LTX2Delay", "inputs": {"seconds": ["1", 0], "value": 5}},
 "3": {"class_type": "LTX2Delay", "inputs": {"seconds": ["2", 0], "value": 6}},
 "4": {"class_type": "LTX2SaveText", "inputs": {"value": ["3", 0], "path": "$work/out.txt"}}}
JSON
    "$hostsim" run p.json --bypass LTX2Delay --events ev.ndjson --quiet 2> stderr.txt || die "exit status $?"
    awk -v a="$(cat out.txt 2>/dev/null)" -v b="$n" 'BEGIN { exit !(a + 0 == b + 0) }' || die "out.txt is not $n"
    grep -q '"node":"2"' ev.ndjson && die "a bypassed node ran"
    "$hostsim" convert p.json --bypass LTX2Delay -o c.json || die "convert of an API prompt failed"
    grep -q '"LTX2Delay"' c.json && die "bypassed nodes left in the converted prompt"
    ;;
folders)
    # --models/--input/--output: names inside ComfyUI's folders; a miss names node, input and folders searched
    fixtures=${LTX2_FIXTURES:-$here/../../../shared/fixtures}
    src=$(ls -S "$fixtures"/*.safetensors 2>/dev/null | tail -n 1)
    [ -n "$src" ] || { echo "no fixtures in $fixtures"; exit 77; }
    mkdir -p in out/sub models/checkpoints
    name=t$RANDOM.safetensors
    ln -s "$src" "in/$name"
    echo "{\"1\": {\"class_type\": \"LoadTensors\", \"inputs\": {\"path\": \"$name\"}},
          \"2\": {\"class_type\": \"LTX2SaveText\", \"inputs\": {\"value\": [\"1\", 0], \"path\": \"sub/o.txt\"}}}" > p.json
    "$hostsim" run p.json --input in --output "$work/out" --events ev.ndjson --quiet 2> stderr.txt ||
        die "exit status $?"
    grep -q '^object TENSORS' out/sub/o.txt || die "the output did not land in the output folder"
    # executed only for the output node, with the file relative to the output folder
    [ "$(grep -c '"type":"executed"' ev.ndjson)" = 1 ] || die "executed sent for a node that is no output"
    grep '"type":"executed"' ev.ndjson | grep -q '"output":{"x_ltx_files":\[{"filename":"o.txt","subfolder":"sub","type":"output"}\]}' ||
        die "executed does not list the written file"
    echo '{"1": {"class_type": "LTX2CheckpointLoader", "inputs": {"ckpt_path": "missing.safetensors"}},
           "2": {"class_type": "LTX2UpscalerLoader", "inputs": {"path": "up.safetensors"}},
           "3": {"class_type": "LTX2SaveText", "inputs": {"value": ["1", 0], "path": "o.txt"}},
           "4": {"class_type": "LTXVLoopingSampler", "inputs": {}}}' > bad.json
    "$hostsim" run bad.json --models models --quiet 2> err.txt
    [ $? = 2 ] || die "a missing model file is not a validation error"
    grep -q "^error: node 1 (LTX2CheckpointLoader) input 'ckpt_path': 'missing.safetensors' is not in the checkpoints folder (searched models/checkpoints)" err.txt ||
        die "missing checkpoint not reported with its folder"
    grep -q "^error: node 2 (LTX2UpscalerLoader) input 'path': .*(searched models/latent_upscale_models)" err.txt ||
        die "second missing file not reported in the same pass"
    grep -q "^error: node 4 (LTXVLoopingSampler): unknown class_type 'LTXVLoopingSampler' (from ComfyUI-LTXVideo" err.txt ||
        die "an unknown class is not reported in the same pass as the missing files"
    ;;
official)
    # the official LTX-2 workflows, when a copy is at hand (never committed)
    dir=${LTX2_COMFY_WORKFLOWS:-}
    mirror=${LTX2_COMFY_MIRROR:-/work/.mirror/Lightricks+ComfyUI-LTXVideo/repo}
    if [ -z "$dir" ] && git --git-dir="$mirror" rev-parse -q HEAD > /dev/null 2>&1; then
        dir=$work/official; mkdir -p "$dir"
        for f in $(git --git-dir="$mirror" ls-tree --name-only HEAD example_workflows/2.0/); do
            git --git-dir="$mirror" show "HEAD:$f" > "$dir/$(basename "$f")"
        done
    fi
    ls "$dir"/*.json > /dev/null 2>&1 || { echo "no official workflows in $dir"; exit 77; }
    for wf in "$dir"/*.json; do
        "$hostsim" convert "$wf" -o "$work/api.json" 2> /dev/null || die "convert $wf failed"
        grep -q '"class_type"' "$work/api.json" || die "no nodes converted from $wf"
    done
    ;;
*)
    echo "unknown case $case_name"; exit 2 ;;
esac
[ -s stderr.txt ] && { echo "--- stderr:"; cat stderr.txt; }
exit $fail
