#!/bin/bash
# bench/images.sh: `cocker images` on a store with 100 images against `node -e 0`,
# the floor every cocker command pays; prints both medians and the difference.
# The budget (DESIGN.md §2): at most 25 ms above node. Needs `npm run build` and hyperfine.
#   BENCH_IMAGES (100), BENCH_WARMUP (3), BENCH_MIN_RUNS (30)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed" >&2; exit 1; }
[ -e dist/test/support/fill-store.js ] || { echo "bench: build first: npm run build" >&2; exit 1; }
tmp=$(mktemp -d /tmp/cocker-bench-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
node dist/test/support/fill-store.js "$tmp/store" "${BENCH_IMAGES:-100}"
[ "$(bin/cocker --root "$tmp/store" images -q | wc -l)" = "${BENCH_IMAGES:-100}" ] || { echo "bench: the store is not filled" >&2; exit 1; }
hyperfine -N --warmup "${BENCH_WARMUP:-3}" --min-runs "${BENCH_MIN_RUNS:-30}" --export-json "$tmp/r.json" \
	'node -e 0' "bin/cocker --root $tmp/store images" >&2
node -e '
const r = require(process.argv[1]).results
const ms = x => x.median * 1000
console.log(`node -e 0: ${ms(r[0]).toFixed(1)} ms, cocker images (${process.argv[2]} images): ${ms(r[1]).toFixed(1)} ms, difference: ${(ms(r[1]) - ms(r[0])).toFixed(1)} ms`)
' "$tmp/r.json" "${BENCH_IMAGES:-100}"
