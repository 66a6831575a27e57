#!/usr/bin/env bash
# B1's baseline: the bundled template's first day checked by hand, as a maintainer without
# freshboot would script it for one variant. Same steps as `freshboot smoke --variant ID`:
# copier copy, a fresh uv venv with bytecode compiled, start --server-and-worker with PORT and
# BINDING, /_ping and /_readiness judged, a job round-trip, SIGINT, exit status 0.
#
# usage: bare_smoke.sh TEMPLATE WORKDIR PYTHON APP [KEY=VALUE ...]   (the variant's answers);
# WORKDIR must not exist; it is removed at the end, as freshboot removes its working folder.
# Prints `BENCH-STEP <name> <wall clock>` as each step ends (and `start`); exits non-zero on
# the first failed check.
set -euo pipefail
template=$1 work=$2 python=$3 app=$4
shift 4
data=()
for answer in "$@"; do data+=(--data "$answer"); done

step() { echo "BENCH-STEP $1 $EPOCHREALTIME"; }
step start
die() { echo "bare_smoke: $*" >&2; [ -f "$work/app.log" ] && tail -5 "$work/app.log" >&2; exit 1; }

copier copy --quiet --defaults "${data[@]}" "$template" "$work/project"
step render

cd "$work/project"
uv venv --quiet --python "$python" .venv
uv pip install --quiet --python .venv/bin/python --compile-bytecode .
step environment

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
set -m  # job control: the app leads its own process group, and SIGINT is not ignored
PORT=$port BINDING=127.0.0.1 APP_ENV=development NO_COLOR=1 \
    ".venv/bin/$app" start --server-and-worker >"$work/app.log" 2>&1 &
pid=$!
set +m
trap 'kill -KILL -- -"$pid" 2>/dev/null || true' EXIT
deadline=$((SECONDS + 30))
until curl -sf -o /dev/null "$base/_ping"; do
    kill -0 "$pid" 2>/dev/null || die "the app exited before it was ready"
    [ "$SECONDS" -lt "$deadline" ] || die "not ready within 30 s"
    sleep 0.01
done
step boot

curl -sf "$base/_ping" | grep -q '"ok": *true' || die "/_ping is not ok"
curl -sf "$base/_readiness" | grep -q '"ok": *true' || die "/_readiness is not ok"
answer=$(curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"message": "hello"}' "$base/jobs/echo")
[ "$(tail -n1 <<<"$answer")" = 202 ] || die "POST /jobs/echo: $answer"
job=$(head -n1 <<<"$answer" | jq -r .id)
deadline=$((SECONDS + 15))
until curl -sf "$base/jobs/$job" | grep -q '"status": *"done"'; do
    [ "$SECONDS" -lt "$deadline" ] || die "job $job not done within 15 s"
    sleep 0.05
done
! grep -qE '^Error:|Traceback \(most recent call last\)|CRITICAL' "$work/app.log" || die "bad line in the log"
step checks

kill -INT -- -"$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || die "exit status $status on SIGINT"
trap - EXIT
step stop

cd / && rm -rf "$work"  # as freshboot removes its working folder
