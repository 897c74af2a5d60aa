#!/usr/bin/env bash
# Side-by-side clean-build benchmark: a fresh consumer app depending on this checkout's
# graph-security-copilot vs the same app depending on graph-rs-sdk 3.0.1 (default features).
# Debug builds, the same job count, alternating runs, median of RUNS (default 3), same machine.
#
#   benches/clean-build.sh            # RUNS=3 JOBS=$(nproc)
#   RUNS=1 JOBS=2 benches/clean-build.sh
#
# Downloads happen once before timing (cargo fetch); every timed build uses an empty target
# directory. Prints one Markdown table row per crate and the ratio of the medians.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-3}"
jobs="${JOBS:-$(nproc)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

make_app() { # name, dependency line
  mkdir -p "$work/$1/src"
  cat >"$work/$1/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.1.0"
edition = "2021"

[dependencies]
$2
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
TOML
  echo 'fn main() {}' >"$work/$1/src/main.rs"
  (cd "$work/$1" && cargo fetch -q)
}

make_app ours "graph-security-copilot = { path = \"$repo\" }"
# Our lock, so both sides build what the repository's CI builds.
cp "$repo/Cargo.lock" "$work/ours/Cargo.lock" 2>/dev/null || true
(cd "$work/ours" && cargo fetch -q)
make_app theirs 'graph-rs-sdk = "=3.0.1"'

time_build() { # app -> seconds
  local target="$work/target-$1"
  rm -rf "$target"
  local start end
  start=$(date +%s.%N)
  (cd "$work/$1" && CARGO_TARGET_DIR="$target" CARGO_INCREMENTAL=0 cargo build -q --offline -j "$jobs") >&2
  end=$(date +%s.%N)
  crates=$(find "$target/debug/deps" -name '*.rlib' -o -name '*.so' | sed 's/-[0-9a-f]*\.\(rlib\|so\)$//' | sort -u | wc -l)
  echo "$(echo "$end - $start" | bc) $crates"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ours=() theirs=()
for i in $(seq "$runs"); do
  read -r t c_ours < <(time_build ours); ours+=("$t")
  read -r t c_theirs < <(time_build theirs); theirs+=("$t")
  echo "run $i: ours ${ours[-1]} s, graph-rs-sdk ${theirs[-1]} s" >&2
done
m_ours=$(printf '%s\n' "${ours[@]}" | median)
m_theirs=$(printf '%s\n' "${theirs[@]}" | median)
echo "| crate | clean debug build (median of $runs, -j $jobs) | crates compiled |"
echo "|---|---|---|"
printf '| graph-security-copilot (this checkout) | %.1f s | %s |\n' "$m_ours" "$c_ours"
printf '| graph-rs-sdk 3.0.1 (default features) | %.1f s | %s |\n' "$m_theirs" "$c_theirs"
printf 'ratio: %.2fx\n' "$(echo "$m_ours / $m_theirs" | bc -l)"
