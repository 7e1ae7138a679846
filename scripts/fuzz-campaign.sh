#!/usr/bin/env bash
# A fuzzing campaign over the native libFuzzer targets (docs/fuzzing.md, "Campaigns"). Each
# target's inline binary (fuzz-TARGET: the engine on the harness's thread) runs J parallel jobs
# (libFuzzer -jobs/-workers, one shared corpus) until it has made N executions in all (-runs per
# job: ceil(N / J)) or T seconds have passed; then its threaded binary (fuzz-TARGET-threaded: the
# engine on its own threads) runs the same way from the corpus the inline jobs left, to M
# executions or T seconds. Each final corpus is replayed once to measure the coverage it reaches.
# Needs only bash, coreutils and the fuzz binaries (no Node, no compiler), so the binaries can be
# built on one machine and the campaign run on another.
#
#   scripts/fuzz-campaign.sh --bin DIR --seeds DIR --out DIR [--execs N] [--threaded-execs M]
#                            [--jobs J] [--seconds T] [--targets LIST]
#
#   --bin DIR            the fuzz-TARGET and fuzz-TARGET-threaded binaries (build-fuzz/ after
#                        npm run fuzz -- --build)
#   --seeds DIR          the checked-in seeds, one folder per target (native/fuzz/corpus)
#   --out DIR            the results folder (bench/results/MACHINE-DATE-fuzz): README.md with the
#                        table, summary.tsv, logs.txt (each job's last lines), corpus.tar.gz (the
#                        final corpora) and any crash files (findings/); a second run into the same
#                        folder adds its rows (one command per target fits a device's time limit)
#   --execs N            executions per target, all jobs together, inline binary (default 10000000)
#   --threaded-execs M   the same for the threaded binary (default 200000; 0: not run)
#   --jobs J             parallel jobs per target (default: one per CPU)
#   --seconds T          the most seconds per binary (default 600)
#   --targets LIST       comma-separated target names (default: every fuzz-* inline binary in --bin)
# Exit status: 0 no finding, 1 a finding, 2 a bad command line.
set -uo pipefail

bin='' seeds='' out='' execs=10000000 threaded_execs=200000 jobs=$(nproc) seconds=600 targets=''
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --execs) execs=$2; shift 2 ;;
    --threaded-execs) threaded_execs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "fuzz-campaign: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$execs" "$seconds" "$jobs"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-campaign: --execs, --jobs and --seconds take positive whole numbers" >&2; exit 2; }
done
[[ "$threaded_execs" =~ ^[0-9]+$ ]] || { echo "fuzz-campaign: --threaded-execs takes a whole number" >&2; exit 2; }
[ -n "$bin" ] && [ -n "$seeds" ] && [ -n "$out" ] || { echo "fuzz-campaign: --bin, --seeds and --out are needed (see --help)" >&2; exit 2; }
shopt -s nullglob
mkdir -p "$out"
bin=$(cd "$bin" && pwd) && seeds=$(cd "$seeds" && pwd) && out=$(cd "$out" && pwd) || exit 2  # the jobs run elsewhere
if [ -z "$targets" ]; then
  for b in "$bin"/fuzz-*; do
    name=${b##*/fuzz-}
    [[ "$name" == *-threaded ]] || targets+="${targets:+,}$name"
  done
fi
IFS=',' read -r -a names <<< "$targets"
[ ${#names[@]} -gt 0 ] || { echo "fuzz-campaign: no fuzz-* binaries in $bin" >&2; exit 2; }
for name in "${names[@]}"; do
  [ -x "$bin/fuzz-$name" ] || { echo "fuzz-campaign: no binary $bin/fuzz-$name" >&2; exit 2; }
  [ "$threaded_execs" -eq 0 ] || [ -x "$bin/fuzz-$name-threaded" ] || { echo "fuzz-campaign: no binary $bin/fuzz-$name-threaded" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The threaded binaries' MMIO dispatcher parks at once instead of spinning: a job's threads hand
# the work to each other, so a spinning dispatcher burns a second core per job (the inline
# binaries have no dispatcher thread and ignore it).
export PVG_FUZZ_DISPATCHER_SPIN=${PVG_FUZZ_DISPATCHER_SPIN:-0}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[ -f "$out/summary.tsv" ] || printf 'target\tbinary\texecs\tgoal\treached\tseconds\texecs_per_s\tjobs\tcov\tft\tcorpus\tfindings\n' > "$out/summary.tsv"
touch "$out/logs.txt"
status=0

# One binary's run: fuzz_binary TARGET BINARY GOAL CORPUS
fuzz_binary() {
  local target=$1 binary=$2 goal=$3 corpus=$4
  local label=${binary##*/fuzz-}
  local findings="$work/findings/$label" logs="$work/logs/$label"
  mkdir -p "$findings" "$logs"
  local per_job=$(( (goal + jobs - 1) / jobs ))
  echo "fuzz-campaign: $label: $jobs jobs x $per_job executions, at most $seconds s"
  local start; start=$(date +%s)
  # Each job runs -runs executions (or stops at -max_total_time); -reload shares new inputs.
  (cd "$logs" && "$binary" -jobs="$jobs" -workers="$jobs" -runs="$per_job" -max_total_time="$seconds" \
    -max_len=4096 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 -reload=1 \
    -artifact_prefix="$findings/" "$corpus" > controller.log 2>&1)
  local elapsed=$(( $(date +%s) - start ))
  { echo "== $label controller"; tail -5 "$logs/controller.log"; } >> "$out/logs.txt"
  local total=0 n log
  for log in "$logs"/fuzz-*.log; do
    n=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
    total=$(( total + ${n:-0} ))
    { echo "== $label ${log##*/}"; grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|RELOAD)|Uses: ' "$log" | tail -15; } >> "$out/logs.txt"
  done
  local rate=$(( total / (elapsed > 0 ? elapsed : 1) ))  # all jobs together, over the wall time
  local reached=no
  [ "$total" -ge "$goal" ] && reached=yes
  # The coverage the final corpus reaches through this binary, from one replay of it (the jobs'
  # own lines count only what each job saw).
  local inited cov ft
  inited=$("$binary" -runs=0 -max_len=4096 -timeout=30 "$corpus" 2>&1 | grep -E '#[0-9]+[[:space:]]+(INITED|DONE)' | tail -1)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<< "$inited"); ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<< "$inited")
  local crashes=("$findings"/*) c
  if [ ${#crashes[@]} -gt 0 ]; then
    status=1
    mkdir -p "$out/findings"
    for c in "${crashes[@]}"; do cp "$c" "$out/findings/$label-${c##*/}"; done
  fi
  local corpus_files; corpus_files=$(ls "$corpus" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "${binary##*/}" "$total" "$goal" "$reached" "$elapsed" "$rate" "$jobs" \
    "${cov:-?}" "${ft:-?}" "$corpus_files" "${#crashes[@]}" >> "$out/summary.tsv"
  echo "fuzz-campaign: $label: $total executions (goal $goal: $reached) in $elapsed s ($rate/s over $jobs jobs); cov ${cov:-?} ft ${ft:-?}; corpus $corpus_files; findings ${#crashes[@]}"
}

for name in "${names[@]}"; do
  corpus="$work/corpus/$name"
  mkdir -p "$corpus"
  # DIR/. copies any number of files: a glob of a grown corpus overflows the argument list, and a
  # campaign that went on from no seeds would still look like a resumed one.
  if [ -d "$seeds/$name" ] && ! cp -r "$seeds/$name/." "$corpus/"; then
    echo "fuzz-campaign: cannot copy the seeds of $name into the corpus" >&2
    exit 2
  fi
  fuzz_binary "$name" "$bin/fuzz-$name" "$execs" "$corpus"
  [ "$threaded_execs" -eq 0 ] || fuzz_binary "$name" "$bin/fuzz-$name-threaded" "$threaded_execs" "$corpus"
done

mkdir -p "$out/corpus"
for name in "${names[@]}"; do tar -czf "$out/corpus/$name.tar.gz" -C "$work/corpus" "$name"; done
{
  echo "# Fuzzing campaign"
  echo
  echo "Machine: $(nproc) CPUs, $(uname -sr); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Each target's inline binary (fuzz-TARGET, the engine on the harness's thread) ran with J parallel jobs"
  echo "(libFuzzer \`-jobs=J -workers=J\`, one shared corpus, from the checked-in seeds) until its goal of executions"
  echo "in all or T seconds; then its threaded binary (fuzz-TARGET-threaded, the engine's own threads, the MMIO"
  echo "dispatcher parked: PVG_FUZZ_DISPATCHER_SPIN=$PVG_FUZZ_DISPATCHER_SPIN) from the corpus the inline jobs left."
  echo "Persistent harnesses (one engine per process, powered on and checked between inputs; docs/fuzzing.md)."
  echo "Coverage is that of the final corpus through that binary, replayed once (libFuzzer's \`cov\`: edges, \`ft\`:"
  echo "features). Last command:"
  echo
  echo "    scripts/fuzz-campaign.sh --bin BIN --seeds native/fuzz/corpus --out OUT --execs $execs --threaded-execs $threaded_execs --jobs $jobs --seconds $seconds --targets $targets"
  echo "    ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "| target | binary | executions | goal | reached | seconds | executions/s | jobs | coverage (edges) | features | corpus | findings |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  tail -n +2 "$out/summary.tsv" | while IFS=$'\t' read -r t b n g r s x j c f k z; do
    echo "| \`$t\` | \`$b\` | $n | $g | $r | $s | $x | $j | $c | $f | $k | $z |"
  done
  echo
  if [ -d "$out/findings" ]; then echo "Findings: see findings/ (reproduce: \`fuzz-TARGET FILE\`)."; else echo "No finding."; fi
  echo
  echo "Files: summary.tsv (the table), logs.txt (each job's final lines), corpus/TARGET.tar.gz (the final corpora)."
} > "$out/README.md"
cat "$out/README.md"
exit $status
