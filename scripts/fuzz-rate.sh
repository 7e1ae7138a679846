#!/usr/bin/env bash
# Executions per second of native fuzz binaries, compared in one run (docs/fuzzing.md, "Rates"):
# each target's binaries are run in turn, round after round (interleaved, so a change in the
# machine's load falls on all of them alike), each for T seconds from a fresh copy of the seeds
# with the flags npm run fuzz uses and -seed=ROUND. Prints, per target and binary, the median
# executions/s with min–max, the CPU milliseconds per execution (user + system, all threads),
# and the ratio of the medians against the first binary named (the reference). Needs bash,
# coreutils, awk and GNU time (/usr/bin/time).
#
#   scripts/fuzz-rate.sh --seeds DIR --binary LABEL=PATTERN [--binary LABEL=PATTERN...]
#                        [--seconds T] [--rounds R] [--targets LIST] [--out FILE]
#
#   --binary LABEL=PATTERN  a binary per target: PATTERN with %s for the target's name, e.g.
#                           inline=build-fuzz/fuzz-%s or threaded=build-fuzz/fuzz-%s-threaded
#   --seeds DIR             the checked-in seeds, one folder per target (native/fuzz/corpus)
#   --seconds T             seconds per run (default 20)
#   --rounds R              runs of each binary per target (default 3)
#   --targets LIST          comma-separated (default: engine-commands,engine-state,iosfc-window,mmio-sequences)
#   --out FILE              also write the table (TSV) here
# Exit status: 0 done, 1 a run failed (a finding, or a binary that did not start), 2 a bad command line.
set -uo pipefail

seeds='' seconds=20 rounds=3 targets='engine-commands,engine-state,iosfc-window,mmio-sequences' outfile=''
labels=() patterns=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) labels+=("${2%%=*}"); patterns+=("${2#*=}"); shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --out) outfile=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fuzz-rate: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$seconds" "$rounds"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-rate: --seconds and --rounds take positive whole numbers" >&2; exit 2; }
done
[ -n "$seeds" ] && [ ${#labels[@]} -gt 0 ] || { echo "fuzz-rate: --seeds and at least one --binary are needed (see --help)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "fuzz-rate: needs GNU time (/usr/bin/time)" >&2; exit 2; }
IFS=',' read -r -a names <<< "$targets"
for name in "${names[@]}"; do
  for p in "${patterns[@]}"; do
    # shellcheck disable=SC2059 # the pattern is the format, by design
    b=$(printf "$p" "$name")
    [ -x "$b" ] || { echo "fuzz-rate: no binary $b" >&2; exit 2; }
  done
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
results="$work/results.tsv"  # target, label, round, execs, wall s, cpu s

for name in "${names[@]}"; do
  for round in $(seq 1 "$rounds"); do
    for i in "${!labels[@]}"; do
      # shellcheck disable=SC2059
      b=$(printf "${patterns[$i]}" "$name")
      corpus="$work/corpus-$name-${labels[$i]}-$round"
      mkdir -p "$corpus"
      [ -d "$seeds/$name" ] && cp "$seeds/$name"/* "$corpus/"
      log="$work/$name-${labels[$i]}-$round.log"
      /usr/bin/time -o "$work/time" -f '%e %U %S' "$b" -seed="$round" -max_total_time="$seconds" -max_len=4096 -timeout=30 \
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/" "$corpus" > "$log" 2>&1 || {
        echo "fuzz-rate: $name ${labels[$i]} round $round failed (see below)" >&2
        tail -20 "$log" >&2
        status=1
      }
      n=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
      read -r wall user sys < "$work/time"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${labels[$i]}" "$round" "${n:-0}" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" >> "$results"
      echo "fuzz-rate: $name ${labels[$i]} round $round: ${n:-0} executions in $wall s (cpu $user u + $sys s); load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
  done
done

# Per target and binary: the median rate with min–max, CPU ms per execution, ratio to the reference.
table=$(awk -F'\t' -v ref="${labels[0]}" '
  { key = $1 SUBSEP $2; rate = ($5 > 0 ? $4 / $5 : 0); n[key]++; r[key, n[key]] = rate; ex[key] += $4; cpu[key] += $6
    if (!($1 in seen)) { seen[$1] = 1; order[++t] = $1 }
    if (!(($2) in lseen)) { lseen[$2] = 1; lorder[++l] = $2 } }
  function median(key,   m, i, j, tmp, a) {
    m = n[key]; for (i = 1; i <= m; i++) a[i] = r[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
    lo = a[1]; hi = a[m]
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END {
    print "target\tbinary\truns\tmedian_execs_per_s\tmin\tmax\tcpu_ms_per_exec\tratio_to_" ref
    for (i = 1; i <= t; i++) {
      refmed = median(order[i] SUBSEP ref)
      for (k = 1; k <= l; k++) {
        key = order[i] SUBSEP lorder[k]; if (!(key in n)) continue
        med = median(key)
        printf "%s\t%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%.1f\n", order[i], lorder[k], n[key], med, lo, hi, (ex[key] > 0 ? 1000 * cpu[key] / ex[key] : 0), (refmed > 0 ? med / refmed : 0)
      }
    }
  }' "$results")
echo
echo "Seconds per run: $seconds; rounds: $rounds; $(nproc) CPUs; load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
column -t -s $'\t' <<< "$table"
[ -z "$outfile" ] || printf '%s\n' "$table" > "$outfile"
exit $status
