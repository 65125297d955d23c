#!/usr/bin/env bash
# install_test.sh BUILD_DIR TINY_HOST_C CC [EXTRA_CFLAGS]
set -u
build=$1 src=$2 cc=$3 extra=${4:-}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail=0
die() { echo "FAIL: $*"; fail=1; }
cmake --install "$build" --prefix "$prefix" > "$prefix/install.log" || { cat "$prefix/install.log"; exit 1; }
pcdir=$(dirname "$(find "$prefix" -name ltx2-nodes.pc | head -n 1)")
[ -f "$pcdir/ltx2-nodes.pc" ] || { echo "FAIL: no ltx2-nodes.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$pcdir
plugin=$(pkg-config --variable=plugin ltx2-nodes)
manifest=$(pkg-config --variable=manifest ltx2-nodes)
[ -f "$plugin" ] || die "pkg-config's plugin $plugin is not installed"
[ -f "$manifest" ] || die "pkg-config's manifest $manifest is not installed"
# shellcheck disable=SC2046 # word splitting of the flags is wanted
"$cc" -std=c11 -Wall -Wextra -Werror $extra -o "$prefix/tiny_host" "$src" $(pkg-config --cflags --libs ltx2-nodes) ||
    die "tiny host does not build against the installed header"
listed=$("$prefix/tiny_host" "$plugin") || die "tiny host failed to load $plugin"
want=$(grep -c '"display_name"' "$manifest")
got=$(printf '%s\n' "$listed" | grep -c .)
[ "$got" = "$want" ] || die "tiny host listed $got nodes, the installed manifest has $want"
# the installed host-sim finds the plugin in the prefix, or through LTX2_PLUGIN_PATH
unset LTX2_PLUGIN
"$prefix/bin/host-sim" list > "$prefix/list.txt" || die "installed host-sim does not find its plugin"
[ "$(grep -c . "$prefix/list.txt")" = "$want" ] || die "installed host-sim lists a different node count"
mkdir "$prefix/elsewhere" && mv "$plugin" "$prefix/elsewhere/"
"$prefix/bin/host-sim" list > /dev/null 2>&1 && die "host-sim found a plugin that was moved away"
LTX2_PLUGIN_PATH=/nonexistent:$prefix/elsewhere "$prefix/bin/host-sim" list > /dev/null ||
    die "host-sim does not search LTX2_PLUGIN_PATH"
exit $fail
