#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and AddressSanitizer and runs each for a bounded time
# (docs/fuzzing.md). New inputs go to .build-fuzz/corpus/<target>; the committed seeds in
# Fuzz/corpus/<target> are only read. A crash, a hang or a memory blow-up fails the run and
# leaves the input in .build-fuzz/artifacts/<target>/.
#   deploy/scripts/fuzz.sh SECONDS [TARGET…]      (default: every target, SECONDS each)
#   deploy/scripts/fuzz.sh --merge [TARGET…]       (add to the committed corpus what reached new code)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift="${SWIFT:-swift}"
mode=run
if [ "${1:-}" = "--merge" ]; then mode=merge; shift; else seconds="${1:?seconds per target}"; shift; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(telemetry configuration model-file)

# Release (the fuzzer needs speed) with -DFUZZING, so each target exports LLVMFuzzerTestOneInput
# and libFuzzer supplies main. SwiftPM's --sanitize=fuzzer makes it link without its own main;
# -Xswiftc -sanitize=fuzzer,address makes every module instrumented (SwiftPM's own flags alone
# leave release objects without coverage counters). lld, because gold warns about ASan symbols.
for target in "${targets[@]}"; do
    $swift build -c release --scratch-path .build-fuzz --sanitize=fuzzer \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld --product "fuzz-$target" >&2
done

# No Swift backtracer: under ASan it faults while reading memory and buries the report; the
# sanitizer prints the stack itself. Short allocation stacks: recording full ones for every
# allocation cost the telemetry target most of its speed. A smaller quarantine keeps the RSS low.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=4:quarantine_size_mb=32}"
symbolizer=$(dirname "$(readlink -f "$(command -v swift)")")/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

status=0
for target in "${targets[@]}"; do
    binary=.build-fuzz/release/fuzz-$target
    seeds=Fuzz/corpus/$target
    if [ $mode = merge ]; then
        # Adds to found/ only the inputs that reach an edge the committed corpus (named seeds and
        # found/, read recursively) does not, so a merge changes a few files rather than all of
        # them. -use_counters=0 merges by edges only: by hit counts it kept 1.4 MB instead of about 150 KB.
        # To shrink found/ again: empty it, then merge (it keeps the smallest set covering every edge).
        mkdir -p ".build-fuzz/corpus/$target" "$seeds/found"
        "$binary" -merge=1 -use_counters=0 -rss_limit_mb=2048 -timeout=10 "$seeds" ".build-fuzz/corpus/$target" \
            > ".build-fuzz/merge-$target.log" 2>&1
        # libFuzzer writes the new inputs at the top level under their SHA-1; they belong in found/.
        find "$seeds" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -exec mv -t "$seeds/found/" {} +
        echo "fuzz: $target corpus now $(find "$seeds" -type f | wc -l) files, $(du -sk --apparent-size "$seeds" | cut -f1) KB"
        continue
    fi
    mkdir -p ".build-fuzz/corpus/$target" ".build-fuzz/artifacts/$target"
    max_len=4096; [ "$target" = model-file ] && max_len=16384
    echo "fuzz: $target for $seconds s" >&2
    # -timeout: one input may take 5 s at most (a hang); -rss_limit_mb: the process may not grow past 1 GB.
    if ! "$binary" ".build-fuzz/corpus/$target" "$seeds" -dict="Fuzz/dictionaries/$target.dict" \
            -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=$max_len -print_final_stats=1 \
            -artifact_prefix=".build-fuzz/artifacts/$target/" > ".build-fuzz/fuzz-$target.log" 2>&1; then
        status=1
        grep -E "ERROR|SUMMARY|Test unit written|Fatal error|failed:" ".build-fuzz/fuzz-$target.log" >&2 || true
        echo "fuzz: $target FAILED; log .build-fuzz/fuzz-$target.log; reproduce with $binary <artifact>" >&2
    fi
    # One line from the last status line: runs, exec/s, edges reached (cov), features (ft), memory.
    grep -E "^#[0-9]+" ".build-fuzz/fuzz-$target.log" | tail -1 | awk -v t="$target" -v s="$seconds" '{
        for (i = 1; i <= NF; i++) { if ($i ~ /:$/) v[$i] = $(i + 1) }
        printf "fuzz: %s: %s runs in %s s, %s exec/s, cov %s, ft %s, corpus %s, rss %s\n",
            t, substr($1, 2), s, v["exec/s:"], v["cov:"], v["ft:"], v["corp:"], v["rss:"] }'
done
exit $status
