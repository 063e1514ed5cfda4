#!/usr/bin/env bash
# bench.sh: every figure of BENCHMARKS.md, from one run of one script.
#
# It builds the binaries once and signs a bench license (COUNT 1000000).
# Then, in each round, one after the other and each against a server of its
# own on a fresh data dir, `licbench run --clients 64` drives licd --sync
# full, the bare net/http handler in a process of its own (licbench bare),
# licd --sync normal, licd --sync full with GOGC=100 (without its heap
# floor, to show what the floor is worth), and a HAL set (three licd --sync
# full nodes on this machine, serving the bench license with HAL_SERVERS,
# driven through #1, the serving node). The order rotates from round to
# round, so that no server always runs first or last. Once, after the
# rounds: 100,000 sessions heartbeating every 30 s against a fresh licd,
# then against a fresh HAL set; licd's start-up with those 100,000 sessions
# in its store (kill -9 licd during that load, start it again, time until
# /healthz answers, three times); `licbench storage`; and `licbench
# failover` (kill -9 of a HAL set's serving node, 20 times, with licd's
# default raft timeouts: the time until another node accepts a checkout).
# It prints one markdown table of medians and min-max; the raw JSON of
# every run stays in the output dir, so that each figure can be checked.
#
# Run it from anywhere in the checkout; `scripts/bench.sh --help` says how.
# Needs go, jq and curl. Everything listens on 127.0.0.1.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: scripts/bench.sh [--quick] [--rounds N] [--duration SECONDS] [--sessions N]
                        [--out DIR] [--bin DIR] [--pin] [--keep]

  --quick           1 round of 3 s, 10,000 heartbeating sessions, short storage runs,
                    3 failovers: checks the script end to end in a few minutes
  --rounds N        churn rounds, each licd full, the bare handler, licd normal,
                    licd full with GOGC=100, a HAL set (6)
  --duration S      seconds of each churn run (20)
  --sessions N      heartbeating sessions, and sessions in the store at start-up (100000)
  --out DIR         where the raw JSON, the logs and summary.md go (a new temp dir)
  --bin DIR         where the binaries are built (a dir inside the work dir)
  --pin             licd and the bare handler on core 1, licbench on core 0 (taskset)
  --keep            keep the work dir (data dirs, bench license) after the run

The same from the environment (flags win): ROUNDS, DURATION, SESSIONS, OUT,
BIN, PIN=1, KEEP=1, and also CLIENTS (64), HB_DURATION (seconds of the
heartbeat run, 300: licd writes heartbeat times every 5 minutes, and a
shorter run would leave that out), STORAGE_DURATION (10), STARTUP_HOLD (seconds of
heartbeat load before the kill -9, 22), STARTS (3), KILLS (kill -9s of the
serving HAL node, 20), and PHASES (which parts to run, default "churn
heartbeat startup storage failover"). Data dirs go under TMPDIR (or /tmp):
make that the disk licd would use.

Exit codes: 0 done, 1 a measurement failed, 2 usage or setup.
EOF
}

# Messages go to fd 3, this script's own stderr: a trap may run while a
# command's stderr is redirected to a file.
exec 3>&2
say() { printf '%s\n' "$*" >&3; }
die() { say "bench.sh: $1"; exit "${2:-1}"; }
usage_error() { say "bench.sh: $1 (see --help)"; exit 2; }

# --- options ------------------------------------------------------------

quick=0
declare -A flag=()
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--pin) flag[pin]=1 ;;
	--keep) flag[keep]=1 ;;
	--rounds | --duration | --sessions | --out | --bin)
		(($# >= 2)) || usage_error "$1 needs a value"
		flag[${1#--}]=$2
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument $1" ;;
	esac
	shift
done

if ((quick)); then
	d_rounds=1 d_duration=3 d_sessions=10000 d_hb=3 d_storage=3 d_hold=2 d_kills=3
else
	d_rounds=6 d_duration=20 d_sessions=100000 d_hb=300 d_storage=10 d_hold=22 d_kills=20
fi
ROUNDS=${flag[rounds]:-${ROUNDS:-$d_rounds}}
DURATION=${flag[duration]:-${DURATION:-$d_duration}}
SESSIONS=${flag[sessions]:-${SESSIONS:-$d_sessions}}
CLIENTS=${CLIENTS:-64}
HB_DURATION=${HB_DURATION:-$d_hb}
STORAGE_DURATION=${STORAGE_DURATION:-$d_storage}
STARTUP_HOLD=${STARTUP_HOLD:-$d_hold}
STARTS=${STARTS:-3}
KILLS=${KILLS:-$d_kills}
PIN=${flag[pin]:-${PIN:-0}}
KEEP=${flag[keep]:-${KEEP:-0}}
PHASES=${PHASES:-churn heartbeat startup storage failover}
OUT=${flag[out]:-${OUT:-}}
BIN=${flag[bin]:-${BIN:-}}

for v in ROUNDS DURATION SESSIONS CLIENTS HB_DURATION STORAGE_DURATION STARTUP_HOLD STARTS KILLS; do
	[[ ${!v} =~ ^[1-9][0-9]{0,6}$ ]] || usage_error "$v=${!v}: give a whole number above 0"
done
((CLIENTS + SESSIONS <= 1000000)) || usage_error "CLIENTS + SESSIONS must fit the license's COUNT 1000000"
for p in $PHASES; do
	[[ $p =~ ^(churn|heartbeat|startup|storage|failover)$ ]] || usage_error "PHASES: unknown phase $p"
done
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }

for tool in go jq curl timeout ss; do
	command -v "$tool" >/dev/null || die "needs $tool on the PATH (jq: apt-get install jq; ss: iproute2)" 2
done
ON_SERVER=() ON_CLIENT=()
if [[ $PIN == 1 ]]; then
	command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)" 2
	(($(nproc) >= 2)) || die "PIN=1 needs two cores, this machine has $(nproc)" 2
	ON_SERVER=(taskset -c 1) ON_CLIENT=(taskset -c 0)
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# --- processes and cleanup ----------------------------------------------

# PIDS are the background processes this script started and has not yet
# reaped; only these are ever signalled. A child not yet reaped keeps its
# pid, so none of these can have been reused by another process.
PIDS=()
WORK=""

track() { PIDS+=("$1"); }
untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# alive PID: the process runs (a zombie, exited but not reaped, does not).
alive() {
	local line
	line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	line=${line##*) }
	[[ ${line%% *} != Z ]]
}

# stop PID [SIGNAL]: signal it (TERM by default), wait up to 15 s for it to
# exit, then KILL it; reap it either way.
# bash reports a background job killed by a signal ("... Killed") after the
# command during which it died, on stderr: so all of it is in one group
# whose stderr goes nowhere.
stop() {
	local pid=$1 sig=${2:-TERM} i hung=0
	{
		kill "-$sig" "$pid" || true
		for ((i = 0; i < 300; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
		if alive "$pid"; then
			hung=1
			kill -KILL "$pid" || true
		fi
		wait "$pid" || true
	} 2>/dev/null
	untrack "$pid"
	((hung == 0)) || say "  pid $pid still ran 15 s after SIG$sig: killed it"
}

# watched CMD...: runs CMD and returns its status. CMD runs in the
# background and this shell waits for it, so that a signal to this script
# runs its trap at once (not after CMD) and the cleanup stops CMD too.
watched() {
	local pid rc=0
	"$@" 3>&- &
	pid=$!
	track "$pid"
	wait "$pid" || rc=$?
	untrack "$pid"
	return "$rc"
}

cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do stop "$pid"; done
	if [[ -n $WORK && $KEEP != 1 ]]; then
		rm -rf "$WORK"
	elif [[ -n $WORK ]]; then
		say "work dir kept: $WORK"
	fi
}
trap cleanup EXIT
trap 'say "bench.sh: interrupted"; exit 1' INT TERM

# --- servers --------------------------------------------------------------

SRV_PID="" SRV_ADDR=""

# await_addr FILE PID: the address the server started as PID prints in FILE
# ("... listening on http://ADDR ..."), waiting up to 5 minutes (licd loads
# its store before it listens).
await_addr() {
	local file=$1 pid=$2 addr end=$((SECONDS + 300))
	while ((SECONDS < end)); do
		addr=$(sed -n 's|.*listening on http://\([^ ]*\).*|\1|p' "$file" | head -n 1)
		if [[ -n $addr ]]; then
			printf '%s\n' "$addr"
			return 0
		fi
		alive "$pid" || die "the server (pid $pid) exited before it listened: see $file and its log"
		sleep 0.005
	done
	die "the server (pid $pid) did not listen within 5 minutes: see $file"
}

# await_healthz ADDR: until licd's /healthz answers, up to 2 minutes.
await_healthz() {
	local end=$((SECONDS + 120))
	while ((SECONDS < end)); do
		curl -fsS -o /dev/null --max-time 2 "http://$1/healthz" 2>/dev/null && return 0
		sleep 0.005
	done
	die "licd at $1: /healthz did not answer within 2 minutes"
}

# start_licd NAME SYNC DATA [FLAG...]: a licd on DATA at a free port of
# 127.0.0.1; sets SRV_PID and SRV_ADDR once /healthz answers. --log-level
# warn: at info licd logs every grant and release, which would then be
# what is measured.
start_licd() {
	local name=$1 sync=$2 data=$3
	shift 3
	mkdir -p "$data"
	"${ON_SERVER[@]}" env ${LICD_GOGC:+GOGC=$LICD_GOGC} "$BIN/licd" serve --license "$LIC" --vendor-pub "$PUB" --data "$data" \
		--listen 127.0.0.1:0 --sync "$sync" --log-level warn "$@" \
		>"$WORK/$name.stdout" 2>>"$OUT/$name.licd.log" 3>&- &
	SRV_PID=$!
	track "$SRV_PID"
	SRV_ADDR=$(await_addr "$WORK/$name.stdout" "$SRV_PID")
	await_healthz "$SRV_ADDR"
}

# start_bare NAME: the bare net/http handler in a process of its own.
start_bare() {
	"${ON_SERVER[@]}" "$BIN/licbench" bare --listen 127.0.0.1:0 >"$WORK/$1.stdout" 2>>"$OUT/$1.bare.log" 3>&- &
	SRV_PID=$!
	track "$SRV_PID"
	SRV_ADDR=$(await_addr "$WORK/$1.stdout" "$SRV_PID")
}

# free_ports N: N distinct ports of 127.0.0.1 that no socket uses now,
# picked at random below the kernel's range for outgoing connections, so
# that no connection takes one before licd listens on it. A HAL license
# names its nodes' addresses, so they are chosen before the nodes start.
free_ports() {
	local n=$1 low p tries=0 picked=()
	local -A taken=()
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	((low > 11000)) || die "the kernel's port range starts at $low: no room for fixed ports below it" 2
	while read -r p; do taken[$p]=1; done < <(ss -Htan | awk '{ n = split($4, a, ":"); print a[n] }')
	while ((${#picked[@]} < n)); do
		((tries++ < 1000)) || die "found no $n free ports below $low"
		p=$((10000 + RANDOM % (low - 10000)))
		[[ -n ${taken[$p]:-} ]] && continue
		taken[$p]=1
		picked+=("$p")
	done
	printf '%s\n' "${picked[@]}"
}

HAL_PIDS=() HAL_CLIENTS=()

# start_hal NAME [FLAG...]: a HAL set of three licd --sync full nodes, each
# started as start_licd starts the single one (fresh data dir, --log-level
# warn) plus its HAL flags and FLAGs, on free ports of 127.0.0.1, serving
# the bench license signed with those in HAL_SERVERS. Sets HAL_PIDS and
# HAL_CLIENTS (#1, #2, #3) once #1 serves and #2 and #3 follow it.
start_hal() {
	local name=$1 ports i peers
	shift
	mapfile -t ports < <(free_ports 6)
	((${#ports[@]} == 6)) || die "HAL set $name: no free ports to give it" # free_ports ran in a subshell
	HAL_CLIENTS=("127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}")
	peers="127.0.0.1:${ports[3]},127.0.0.1:${ports[4]},127.0.0.1:${ports[5]}"
	sed "s/@HAL_SERVERS@/${HAL_CLIENTS[*]}/" "$WORK/bench-hal.tmpl" >"$WORK/$name.tmpl"
	"$BIN/licgen" sign --key "$WORK/vendor.key" --out "$WORK/$name.lic" "$WORK/$name.tmpl" >/dev/null
	HAL_PIDS=()
	for i in 1 2 3; do
		mkdir -p "$WORK/data-$name-$i"
		"${ON_SERVER[@]}" env ${LICD_GOGC:+GOGC=$LICD_GOGC} "$BIN/licd" serve --license "$WORK/$name.lic" --vendor-pub "$PUB" \
			--data "$WORK/data-$name-$i" --listen "${HAL_CLIENTS[i - 1]}" --sync full --log-level warn \
			--hal-id "$i" --raft-listen "127.0.0.1:${ports[i + 2]}" --raft-peers "$peers" "$@" \
			>"$WORK/$name-$i.stdout" 2>>"$OUT/$name-$i.licd.log" 3>&- &
		HAL_PIDS+=($!)
		track $!
	done
	await_hal "$name"
}

# await_hal NAME: until each node of the set says it has a majority and #1
# serves (#1 says so only when it serves itself), up to 2 minutes.
await_hal() {
	local end=$((SECONDS + 120)) i ok
	while ((SECONDS < end)); do
		ok=1
		for i in 0 1 2; do
			alive "${HAL_PIDS[i]}" || die "HAL node #$((i + 1)) (pid ${HAL_PIDS[i]}) exited: see $OUT/$1-$((i + 1)).licd.log"
			curl -fsS --max-time 2 "http://${HAL_CLIENTS[i]}/v1/status" 2>/dev/null |
				jq -e --arg p "${HAL_CLIENTS[0]}" '.server.quorum and .server.primary == $p' >/dev/null || ok=0
		done
		((ok == 0)) || return 0
		sleep 0.05
	done
	die "HAL set $1: #1 did not serve with #2 and #3 following within 2 minutes: see $OUT/$1-*.licd.log"
}

# stop_hal: stop the three nodes of the set and delete their data.
stop_hal() {
	local pid
	for pid in "${HAL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${HAL_PIDS[@]}"; do stop "$pid"; done
	HAL_PIDS=()
}

# metric ADDR NAME: the value of an unlabelled metric on licd's /metrics.
metric() {
	curl -fsS --max-time 5 "http://$1/metrics" | sed -n "s/^$2 \([0-9.e+]*\)\$/\1/p" | head -n 1
}

# --- load -----------------------------------------------------------------

# load NAME LIMIT ARGS...: `licbench run ARGS --json` into OUT/NAME.json,
# stopped after LIMIT seconds at most; prints its main figures.
load() {
	local name=$1 limit=$2
	shift 2
	if ! watched "${ON_CLIENT[@]}" timeout --foreground --kill-after=10 "$limit" \
		"$BIN/licbench" run "$@" --json --quiet >"$OUT/$name.json" 2>"$OUT/$name.err"; then
		say "licbench run $* failed:"
		tail -n 5 "$OUT/$name.err" >&2
		die "measurement $name failed (its output: $OUT/$name.err)"
	fi
	jq -r --arg name "$name" '"  \($name): \(.ops_per_sec | round) \(.op)s/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, errors \(.errors), server CPU \(.server_cpu_percent // 0 | round) % of a core, steal \(.machine.steal_percent // 0) %"' \
		"$OUT/$name.json" >&2
}

churn_licd() { # NAME SYNC
	local data="$WORK/data-$1"
	start_licd "$1" "$2" "$data"
	load "$1" $((DURATION + 300)) --server "$SRV_ADDR" --clients "$CLIENTS" --duration "${DURATION}s" --pid "$SRV_PID"
	stop "$SRV_PID"
	rm -rf "$data"
}

churn_hal() { # NAME
	start_hal "$1"
	load "$1" $((DURATION + 300)) --server "${HAL_CLIENTS[0]}" --clients "$CLIENTS" --duration "${DURATION}s" --pid "${HAL_PIDS[0]}"
	stop_hal
	rm -rf "$WORK/data-$1-"[123]
}

churn_bare() { # NAME
	start_bare "$1"
	load "$1" $((DURATION + 300)) --server "$SRV_ADDR" --clients "$CLIENTS" --duration "${DURATION}s" --pid "$SRV_PID"
	stop "$SRV_PID"
}

# --- phases ---------------------------------------------------------------

phase_churn() {
	local r i k name kinds=(licd-full bare licd-normal licd-gogc hal)
	for ((r = 1; r <= ROUNDS; r++)); do
		say "round $r of $ROUNDS"
		for ((i = 0; i < ${#kinds[@]}; i++)); do
			k=${kinds[(r - 1 + i) % ${#kinds[@]}]}
			name=$(printf 'r%02d-%s' "$r" "$k")
			case $k in
			licd-full) churn_licd "$name" full ;;
			licd-normal) churn_licd "$name" normal ;;
			licd-gogc) LICD_GOGC=100 churn_licd "$name" full ;; # GOGC set: licd keeps no heap floor
			bare) churn_bare "$name" ;;
			hal) churn_hal "$name" ;;
			esac
		done
	done
}

# phase_heartbeat: SESSIONS sessions each heartbeating every 30 s (licd
# tells its clients 30 s), HB_DURATION seconds, licd's CPU read from /proc;
# then the same against a HAL set, with the serving node's CPU (a
# heartbeat costs no raft round, so it should be close to the single's).
phase_heartbeat() {
	local data="$WORK/data-heartbeat"
	say "heartbeat: $SESSIONS sessions every 30 s, ${HB_DURATION} s"
	start_licd heartbeat full "$data" --heartbeat-interval 30s
	load heartbeat $((HB_DURATION + 900)) --server "$SRV_ADDR" --mode heartbeat --sessions "$SESSIONS" \
		--interval 30s --duration "${HB_DURATION}s" --pid "$SRV_PID"
	stop "$SRV_PID"
	rm -rf "$data"
	say "heartbeat, HAL set: $SESSIONS sessions every 30 s, ${HB_DURATION} s"
	start_hal heartbeat-hal --heartbeat-interval 30s
	load heartbeat-hal $((HB_DURATION + 900)) --server "${HAL_CLIENTS[0]}" --mode heartbeat --sessions "$SESSIONS" \
		--interval 30s --duration "${HB_DURATION}s" --pid "${HAL_PIDS[0]}"
	stop_hal
	rm -rf "$WORK/data-heartbeat-hal-"[123]
}

# phase_startup: as BENCHMARKS.md measured it: SESSIONS sessions
# heartbeating against a fresh licd; STARTUP_HOLD seconds after all are
# live, kill -9 licd; then STARTS times, start it again on that data and
# time it from the start of the process until /healthz answers, then
# kill -9 it again. Each start's seconds, sessions loaded and RSS go to
# OUT/startup-N.json.
phase_startup() {
	local data="$WORK/data-startup" lb n end s t0 t1
	say "start-up: $SESSIONS sessions in the store, $STARTS starts"
	start_licd startup full "$data" --heartbeat-interval 30s
	"${ON_CLIENT[@]}" "$BIN/licbench" run --server "$SRV_ADDR" --mode heartbeat --sessions "$SESSIONS" \
		--interval 30s --duration "$((STARTUP_HOLD + 900))s" --json --quiet \
		>"$WORK/startup-load.json" 2>"$OUT/startup-load.err" 3>&- &
	lb=$!
	track "$lb"
	end=$((SECONDS + 900))
	while :; do
		n=$(metric "$SRV_ADDR" floatlic_sessions || true)
		[[ ${n:-0} -ge $SESSIONS ]] && break
		alive "$lb" || die "licbench's heartbeat load stopped early: see $OUT/startup-load.err"
		((SECONDS < end)) || die "licd had ${n:-no} of $SESSIONS sessions after 15 minutes"
		sleep 0.5
	done
	watched sleep "$STARTUP_HOLD"
	stop "$SRV_PID" KILL
	stop "$lb" KILL
	for ((s = 1; s <= STARTS; s++)); do
		t0=$EPOCHREALTIME
		start_licd startup full "$data" --heartbeat-interval 30s
		t1=$EPOCHREALTIME
		jq -n --argjson start "$s" --arg t0 "$t0" --arg t1 "$t1" \
			--arg sessions "$(metric "$SRV_ADDR" floatlic_sessions)" \
			--arg rss "$(metric "$SRV_ADDR" process_resident_memory_bytes)" \
			'{start: $start, seconds: (($t1 | tonumber) - ($t0 | tonumber)),
			  sessions: ($sessions | tonumber? // null), rss_bytes: ($rss | tonumber? // null)}' \
			>"$OUT/startup-$s.json"
		jq -r '"  start \(.start): \(.seconds * 1000 | round) ms, \(.sessions) sessions, RSS \((.rss_bytes // 0) / 1048576 | round) MiB"' \
			"$OUT/startup-$s.json" >&2
		stop "$SRV_PID" KILL
	done
	rm -rf "$data"
}

# phase_storage: the raw SQLite write loop, full and normal, one pair a
# commit and sixteen, on the disk the data dirs are on.
phase_storage() {
	local sync batch name
	mkdir -p "$WORK/storage"
	for sync in full normal; do
		for batch in 1 16; do
			name="storage-$sync-$batch"
			watched "${ON_SERVER[@]}" timeout --foreground --kill-after=10 $((STORAGE_DURATION + 120)) \
				"$BIN/licbench" storage --sync "$sync" --batch "$batch" --duration "${STORAGE_DURATION}s" \
				--dir "$WORK/storage" --json >"$OUT/$name.json" 2>"$OUT/$name.err" ||
				die "licbench storage --sync $sync --batch $batch failed: see $OUT/$name.err"
			jq -r '"  storage \(.sync), \(.batch) a commit: \(.commits_per_sec | round) commits/s, \(.ops_per_sec | round) pairs/s"' \
				"$OUT/$name.json" >&2
		done
	done
}

# phase_failover: `licbench failover`, which starts a HAL set of its own
# (the demo HAL license, licd's default raft timeouts) and KILLS times
# kills -9 the serving node #1 while a few sessions check out and in, and
# times the first checkout another node accepts; #1 starts again each
# time. The nodes' logs go to OUT.
phase_failover() {
	local i ok=1
	say "failover: kill -9 of the serving HAL node, $KILLS times"
	watched "${ON_SERVER[@]}" timeout --foreground --kill-after=10 $((KILLS * 200 + 120)) \
		"$BIN/licbench" failover --licd "$BIN/licd" --kills "$KILLS" --dir "$WORK/failover" --json \
		>"$OUT/failover.json" 2>"$OUT/failover.err" || ok=0
	for i in 1 2 3; do
		cp "$WORK/failover/node$i.log" "$OUT/failover-node$i.log" 2>/dev/null || true
	done
	((ok)) || die "licbench failover failed: see $OUT/failover.err and $OUT/failover-node*.log"
	jq -r '"  failover: p50 \(.p50_ms) ms, p90 \(.p90_ms) ms, max \(.max_ms) ms over \(.kills) kills, taken over by \([.runs[].took_over] | unique | map("#\(.)") | join(", "))"' \
		"$OUT/failover.json" >&2
	rm -rf "$WORK/failover"
}

# --- the summary ------------------------------------------------------------

# slurp GLOB: the JSON files matching GLOB in OUT, in name order, as one
# stream ("" when there are none).
slurp() {
	local f
	for f in "$OUT"/$1; do
		[[ ! -e $f ]] || cat "$f"
	done
}

summary() {
	jq -n -r \
		--slurpfile full <(slurp 'r[0-9]*-licd-full.json') \
		--slurpfile bare <(slurp 'r[0-9]*-bare.json') \
		--slurpfile normal <(slurp 'r[0-9]*-licd-normal.json') \
		--slurpfile gogc <(slurp 'r[0-9]*-licd-gogc.json') \
		--slurpfile hal <(slurp 'r[0-9]*-hal.json') \
		--slurpfile hb <(slurp 'heartbeat.json') \
		--slurpfile hbhal <(slurp 'heartbeat-hal.json') \
		--slurpfile failover <(slurp 'failover.json') \
		--slurpfile starts <(slurp 'startup-[0-9]*.json') \
		--slurpfile storage <(slurp 'storage-*.json') \
		--argjson sessions "$SESSIONS" "$(summary_program)"
}

# summary_program: the jq program that makes the table, from the runs'
# JSON: medians, min-max and the number of runs of each figure.
summary_program() {
	cat <<'EOF'
def median: sort | if length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def lpad($w): if length >= $w then . else ("0" + .) | lpad($w) end;
def fix($n): (. * pow(10; $n) | round | tostring | lpad($n + 1)) as $s
  | if $n == 0 then $s else $s[:-$n] + "." + $s[-$n:] end;
def grp: if length <= 3 then . else (.[:-3] | grp) + "," + .[-3:] end;
def thousands: round | tostring | grp;
def pct: . * 100 | fix(0) + " %";
def mib: . / 1048576;
# row(LABEL; FORMAT): one table row of the numbers in the input array.
def row($title; f):
  if length == 0 then empty
  elif length == 1 then "| \($title) | \(.[0] | f) | | 1 |"
  else "| \($title) | \(median | f) | \(min | f) – \(max | f) | \(length) |" end;
def churn($name; $runs):
  ($runs | map(.ops_per_sec) | row("\($name): pairs/s"; thousands)),
  ($runs | map(.p50_ms) | row("\($name): checkout p50, ms"; fix(2))),
  ($runs | map(.p99_ms) | row("\($name): checkout p99, ms"; fix(2))),
  ($runs | map(.at_socket.checkout.p99_ms // empty) | row("\($name): checkout p99 at licbench's socket, ms"; fix(2))),
  ($runs | map(.server_cpu_percent // 0) | row("\($name): server CPU, % of a core"; fix(0))),
  ($runs | map((.server_cpu_percent // 0) * 10000 / .ops_per_sec) | row("\($name): server CPU a pair, µs"; fix(0)));
# ratios(A; B): A's pairs/s over B's, round by round.
def ratios($a; $b): [range(0; [$a, $b | length] | min) | $a[.].ops_per_sec / $b[.].ops_per_sec];
def storage($sync; $batch; $what; f):
  $storage | map(select(.sync == $sync and .batch == $batch) | f)
  | row("storage limit, \($sync), \($batch) \(if $batch == 1 then "pair" else "pairs" end) a commit: \($what)"; thousands);
def errors($runs): $runs | map(.errors) | add // 0;

"| figure | median | min – max | runs |",
"| --- | --- | --- | --- |",
churn("licd `--sync full`"; $full),
churn("bare handler, own process"; $bare),
(ratios($full; $bare) | row("licd full / bare handler, round by round"; pct)),
churn("licd `--sync normal`"; $normal),
(ratios($normal; $full) | row("licd normal / licd full, round by round"; pct)),
churn("licd `--sync full`, GOGC=100 (no heap floor)"; $gogc),
(ratios($full; $gogc) | row("licd full with / without the heap floor, round by round"; pct)),
churn("HAL set, three licd `--sync full` nodes on this machine, through #1"; $hal),
(ratios($hal; $full) | row("HAL set / licd full, round by round"; pct)),
($hb | map(.server_cpu_percent // 0) | row("\($sessions | thousands) sessions heartbeating every 30 s: licd CPU, % of a core"; fix(1))),
($hb | map(.p99_ms) | row("… heartbeat p99, ms"; fix(2))),
($hb | map(.at_socket.heartbeat.p99_ms // empty) | row("… heartbeat p99 at licbench's socket, ms"; fix(2))),
($hb | map(.ops_per_sec) | row("… heartbeats/s"; thousands)),
($hb | map(.server_peak_rss_bytes // .server_rss_bytes // 0 | mib) | row("… licd peak RSS, MiB"; fix(0))),
($hbhal | map(.server_cpu_percent // 0) | row("… against a HAL set: the serving node's CPU, % of a core"; fix(1))),
($hbhal | map(.p99_ms) | row("… against a HAL set: heartbeat p99, ms"; fix(2))),
($hbhal | map(.server_peak_rss_bytes // .server_rss_bytes // 0 | mib) | row("… against a HAL set: the serving node's peak RSS, MiB"; fix(0))),
($starts | map(.seconds) | row("start-up with \($sessions | thousands) sessions in the store, s"; fix(2))),
($starts | map(.rss_bytes // 0 | mib) | row("… RSS once started, MiB"; fix(0))),
storage("full"; 1; "commits/s"; .commits_per_sec),
storage("full"; 16; "pairs/s"; .ops_per_sec),
storage("normal"; 1; "commits/s"; .commits_per_sec),
storage("normal"; 16; "pairs/s"; .ops_per_sec),
($failover | map(.p50_ms) | row("HAL failover, kill -9 of the serving node → first checkout accepted by the next, p50 of \($failover[0].kills) kills, ms"; fix(0))),
($failover | map(.p90_ms) | row("… p90, ms"; fix(0))),
($failover | map(.max_ms) | row("… max, ms"; fix(0))),
($failover | map(.runs | map(.back_ms) | median) | row("… #1 started again → serving again, median, ms"; fix(0))),
"",
"Errors, summed over the runs: licd full \(errors($full)), bare handler \(errors($bare)), licd normal \(errors($normal)), HAL set \(errors($hal)), heartbeats \(errors($hb)), heartbeats on a HAL set \(errors($hbhal)).",
([$full[], $bare[], $normal[], $hb[] | .machine.steal_percent // empty] | max
  | if . == null then empty else "Steal (the hypervisor running something else): at most \(fix(2)) % of the cores' time in any run." end),
(ratios($full; $bare) | if length == 0 then empty else median as $m
  | "Floor, licd full at least 50 % of the bare handler in its own process: \($m | pct), \(if $m >= 0.5 then "met" else "NOT MET" end)." end),
(ratios($hal; $full) | if length == 0 then empty else median as $m
  | "Target, a HAL set at least 40 % of licd full: \($m | pct), \(if $m >= 0.4 then "met" else "NOT MET" end)." end),
($failover | if length == 0 then empty else .[0].p50_ms as $p
  | "Target, HAL failover p50 at most 1 s: \($p | fix(0)) ms, \(if $p <= 1000 then "met" else "NOT MET" end)." end),
($hb | if length == 0 then empty else (.[0].server_cpu_percent // 0) as $c
  | "Floor, \($sessions | thousands) heartbeating sessions under a quarter of a core: \($c | fix(1)) %, \(if $c < 25 then "met" else "NOT MET" end)." end),
($starts | map(select(.sessions != $sessions)) | if length == 0 then empty
  else "Warning: \(length) start(s) loaded another number of sessions than \($sessions): \(map(.sessions))." end)
EOF
}

machine() {
	local commit
	commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
	printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf -- '- commit: %s\n' "$commit"
	printf -- '- machine: %s cores (%s), %s GiB RAM, Linux %s, %s\n' "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"$(awk '/^MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)" "$(go version | cut -d' ' -f3)"
	printf -- '- data dirs on: %s (%s)\n' "$(df --output=source "$WORK" | tail -n 1)" "$(stat -f -c %T "$WORK")"
	printf -- '- layout: %s\n' "$([[ $PIN == 1 ]] && echo 'pinned: servers on core 1, licbench on core 0' || echo 'shared: every process free to use every core')"
	printf -- '- churn: %s round(s), %s s a run, %s clients; order rotated each round\n' "$ROUNDS" "$DURATION" "$CLIENTS"
	printf -- '- heartbeats: %s sessions every 30 s, %s s; start-up: kill -9 after %s s of that load, %s starts; storage: %s s a run\n' \
		"$SESSIONS" "$HB_DURATION" "$STARTUP_HOLD" "$STARTS" "$STORAGE_DURATION"
	printf -- '- HAL: the three nodes on this one machine, raft over loopback, licd'"'"'s default raft timeouts; failover: %s kill -9s of the serving node\n' "$KILLS"
}

# --- main -------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/floatlic-bench.XXXXXX")
if [[ -z $OUT ]]; then
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/floatlic-bench-out.XXXXXX")
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[[ $(stat -f -c %T "$WORK") != tmpfs ]] ||
	say "warning: $WORK is on tmpfs, where an fsync costs nothing: set TMPDIR to a dir on the disk"
BIN=${BIN:-$WORK/bin}
mkdir -p "$BIN"
BIN=$(cd "$BIN" && pwd)

say "building into $BIN"
# Niced: the build may share the machine with someone else's measurement.
watched nice -n 19 go -C "$ROOT" build -o "$BIN/" ./cmd/... || die "go build failed" 2

# A license whose pool is larger than any load.
LIC="$WORK/bench.lic" PUB="$WORK/vendor.pub"
"$BIN/licgen" keygen --out "$WORK/vendor" >/dev/null
cat >"$WORK/bench.tmpl" <<'EOF'
FEATURE bench {
  VENDOR  = acme
  VERSION = 1.0
  COUNT   = 1000000
  EXPIRE  = permanent
}
EOF
"$BIN/licgen" sign --key "$WORK/vendor.key" --out "$LIC" "$WORK/bench.tmpl" >/dev/null
# The same feature for HAL sets; start_hal fills in the nodes' addresses.
sed 's/^  EXPIRE/  HAL_SERVERS = "@HAL_SERVERS@"\n  EXPIRE/' "$WORK/bench.tmpl" >"$WORK/bench-hal.tmpl"

machine >"$OUT/machine.md"
cat "$OUT/machine.md" >&2
for p in churn heartbeat startup storage failover; do
	if has_phase "$p"; then "phase_$p"; fi
done

{
	printf '# floatlic benchmark\n\n'
	cat "$OUT/machine.md"
	printf '\n'
	summary
	printf '\nRaw JSON of every run: %s\n' "$OUT"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
