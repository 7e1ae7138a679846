#!/usr/bin/env bash
# A fuzzing campaign over every native libFuzzer target: each runs with J parallel jobs (libFuzzer
# -jobs/-workers, sharing one corpus) until it has made N executions in all or T seconds have
# passed, whichever comes first; then its merged corpus is replayed once to measure the coverage
# it reaches. Needs only bash, coreutils and the fuzz binaries (no Node, no compiler), so the
# binaries can be built on one machine and the campaign run on another (docs/fuzzing.md,
# "Campaigns").
#
#   scripts/fuzz-campaign.sh --bin DIR --seeds DIR --out DIR [--execs N] [--jobs J] [--seconds T]
#
#   --bin DIR      the fuzz-TARGET binaries (build-fuzz/ after npm run fuzz -- --build)
#   --seeds DIR    the checked-in seeds, one folder per target (native/fuzz/corpus)
#   --out DIR      the results folder (bench/results/MACHINE-DATE-fuzz): README.md with the table,
#                  summary.tsv, logs.txt (each job's last lines), corpus.tar.gz (the final corpora)
#                  and any crash files (findings/)
#   --execs N      executions per target, all jobs together (default 10000000)
#   --jobs J       parallel jobs per target (default: one per CPU; a job's harness thread and the
#                  engine's threads hand each other the work, so a job keeps about one core busy
#                  while the engine's MMIO dispatcher parks at once: PVG_FUZZ_DISPATCHER_SPIN=0,
#                  the default here; set it to 2000, the engine's own default, to let it spin)
#   --seconds T    the most seconds per target (default 600)
# Exit status: 0 no finding, 1 a finding, 2 a bad command line.
set -uo pipefail

bin='' seeds='' out='' execs=10000000 jobs=$(nproc) seconds=600
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --execs) execs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fuzz-campaign: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
for v in "$execs" "$seconds"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-campaign: --execs and --seconds take positive whole numbers" >&2; exit 2; }
done
[ -n "$bin" ] && [ -n "$seeds" ] && [ -n "$out" ] || { echo "fuzz-campaign: --bin, --seeds and --out are needed (see --help)" >&2; exit 2; }
shopt -s nullglob
mkdir -p "$out"
bin=$(cd "$bin" && pwd) && seeds=$(cd "$seeds" && pwd) && out=$(cd "$out" && pwd) || exit 2  # the jobs run elsewhere
binaries=("$bin"/fuzz-*)
[ ${#binaries[@]} -gt 0 ] || { echo "fuzz-campaign: no fuzz-* binaries in $bin" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PVG_FUZZ_DISPATCHER_SPIN=${PVG_FUZZ_DISPATCHER_SPIN:-0}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
: > "$out/logs.txt"
printf 'target\texecs\tseconds\texecs_per_s\tjobs\tcov\tft\tcorpus\tfindings\n' > "$out/summary.tsv"
status=0

for binary in "${binaries[@]}"; do
  target=${binary##*/fuzz-}
  corpus="$work/corpus/$target"
  findings="$work/findings/$target"
  logs="$work/logs/$target"
  mkdir -p "$corpus" "$findings" "$logs"
  [ -d "$seeds/$target" ] && cp "$seeds/$target"/* "$corpus/"
  per_job=$(( (execs + jobs - 1) / jobs ))
  echo "fuzz-campaign: $target: $jobs jobs x $per_job executions, at most $seconds s"
  start=$(date +%s)
  # Each job runs -runs executions (or stops at -max_total_time); -reload shares new inputs.
  (cd "$logs" && "$binary" -jobs="$jobs" -workers="$jobs" -runs="$per_job" -max_total_time="$seconds" \
    -max_len=4096 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 -reload=1 \
    -artifact_prefix="$findings/" "$corpus" > controller.log 2>&1)
  elapsed=$(( $(date +%s) - start ))
  { echo "== $target controller"; tail -5 "$logs/controller.log"; } >> "$out/logs.txt"
  total=0
  for log in "$logs"/fuzz-*.log; do
    n=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
    total=$(( total + ${n:-0} ))
    { echo "== $target ${log##*/}"; grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|RELOAD)|Uses: ' "$log" | tail -15; } >> "$out/logs.txt"
  done
  rate=$(( total / (elapsed > 0 ? elapsed : 1) ))  # all jobs together, over the wall time
  # The coverage the final corpus reaches, from one replay of it (the jobs' own lines count only
  # what each job saw).
  inited=$("$binary" -runs=0 -max_len=4096 -timeout=30 "$corpus" 2>&1 | grep -E '#[0-9]+[[:space:]]+(INITED|DONE)' | tail -1)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<< "$inited"); ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<< "$inited")
  crashes=("$findings"/*)
  if [ ${#crashes[@]} -gt 0 ]; then
    status=1
    mkdir -p "$out/findings"
    for c in "${crashes[@]}"; do cp "$c" "$out/findings/$target-${c##*/}"; done
  fi
  corpus_files=$(ls "$corpus" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$total" "$elapsed" "$rate" "$jobs" "${cov:-?}" "${ft:-?}" "$corpus_files" "${#crashes[@]}" >> "$out/summary.tsv"
  echo "fuzz-campaign: $target: $total executions in $elapsed s ($rate/s over $jobs jobs); cov ${cov:-?} ft ${ft:-?}; corpus $corpus_files; findings ${#crashes[@]}"
done

tar -czf "$out/corpus.tar.gz" -C "$work" corpus
{
  echo "# Fuzzing campaign, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) CPUs, $(uname -sr); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Each native target ran with $jobs parallel jobs (libFuzzer \`-jobs=$jobs -workers=$jobs\`, one shared corpus,"
  echo "the MMIO dispatcher's spin PVG_FUZZ_DISPATCHER_SPIN=$PVG_FUZZ_DISPATCHER_SPIN)"
  echo "until $execs executions in all or $seconds s, from the checked-in seeds, on persistent harnesses"
  echo "(one engine per process, powered on between inputs; docs/fuzzing.md). Coverage is that of the final"
  echo "corpus, replayed once (libFuzzer's \`cov\`: edges, \`ft\`: features). Command:"
  echo
  echo "    scripts/fuzz-campaign.sh --bin BIN --seeds native/fuzz/corpus --out OUT --execs $execs --jobs $jobs --seconds $seconds"
  echo
  echo "| target | executions | seconds | executions/s | jobs | coverage (edges) | features | corpus | findings |"
  echo "|---|---|---|---|---|---|---|---|---|"
  tail -n +2 "$out/summary.tsv" | while IFS=$'\t' read -r t n s r j c f k x; do
    echo "| \`$t\` | $n | $s | $r | $j | $c | $f | $k | $x |"
  done
  echo
  if [ "$status" -eq 0 ]; then echo "No finding."; else echo "Findings: see findings/ (reproduce: \`fuzz-TARGET FILE\`)."; fi
  echo
  echo "Files: summary.tsv (the table), logs.txt (each job's final lines), corpus.tar.gz (the final corpora)."
} > "$out/README.md"
cat "$out/README.md"
exit $status
