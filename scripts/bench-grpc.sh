# shellcheck shell=bash
# Figure 8 of scripts/bench, which sources this file: `grpc.health.v1.Health/Check` on
# `Health::grpc` over PostgreSQL and Redis checks cached for 1 s, against tonic-health's own
# `HealthReporter` answering a status set by hand (the lower bound of a hand-kept reporter),
# both in one `bench-grpc serve` process pinned to the server's CPU. The load is h2load
# (nghttp2): unary gRPC calls, GRPC_STREAMS in flight on each of GRPC_CONNS HTTP/2
# connections. h2load counts HTTP statuses only, so `bench-grpc verify` checks through
# tonic's client, before and after the load, that both answer SERVING. A second row counts
# the instructions the server executes per call (callgrind, over GRPC_CALLS calls after a
# warm-up, each side alone): what the other cores' load cannot move.
#
# Knobs (environment): BENCH_GRPC_CONNECTIONS (4), BENCH_GRPC_STREAMS (16),
# BENCH_GRPC_CALLS (10000).

GRPC_CONNS=${BENCH_GRPC_CONNECTIONS:-4}
GRPC_STREAMS=${BENCH_GRPC_STREAMS:-16}
GRPC_CALLS=${BENCH_GRPC_CALLS:-10000}

# h2load_run URL: sets RPS, REQS, BAD (failed, errored and timed-out calls), CPU_US.
h2load_run() {
    local url=$1 before after out
    before=$(cpu_ns)
    out=$(taskset -c "$LOAD_CPU" h2load -D "$DURATION" -c "$GRPC_CONNS" -m "$GRPC_STREAMS" \
        -d "$GRPC_REQUEST" -H 'content-type: application/grpc' -H 'te: trailers' "$url" 2>&1)
    after=$(cpu_ns)
    log "--- h2load $url"; log "$out"
    RPS=$(awk '/^finished in/ { printf "%.0f", $4 }' <<<"$out")
    REQS=$(awk '/^requests:/ { print $8 }' <<<"$out")
    BAD=$(awk '/^requests:/ { print $10 + $12 + $14 }' <<<"$out")
    CPU_US=$(calc "($after - $before) / 1000 / ($REQS > 0 ? $REQS : 1)" 2)
    log "=> $RPS calls/s, $REQS calls, $BAD bad, ${CPU_US} µs CPU/call"
}
h2load_warm() {
    taskset -c "$LOAD_CPU" h2load -D "$WARMUP" -c "$GRPC_CONNS" -m "$GRPC_STREAMS" \
        -d "$GRPC_REQUEST" -H 'content-type: application/grpc' -H 'te: trailers' "$1" >/dev/null 2>&1
}
h2load_calls() { # URL CALLS
    h2load -n "$2" -c "$GRPC_CONNS" -m "$GRPC_STREAMS" -d "$GRPC_REQUEST" \
        -H 'content-type: application/grpc' -H 'te: trailers' "$1" >>"$LOG" 2>&1
}

# grpc_instructions BIN PORT PATH: instructions per call of each side under callgrind,
# in LIB_IR / BASE_IR.
grpc_instructions() {
    local bin=$1 port=$2 path=$3 wrapper vg out side
    out=$(mktemp -d "$OUT/callgrind.XXXXXX")
    valgrind --tool=callgrind --callgrind-out-file="$out/%p" "$bin" serve --port "$port" \
        --pg "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
        --redis "redis://127.0.0.1:$REDIS_PORT" >>"$LOG" 2>&1 &
    wrapper=$!
    pids+=("$wrapper")
    wait_port "$port"; wait_port $((port + 1))
    vg=$(pgrep -P "$wrapper" || echo "$wrapper") # valgrind's script runs valgrind.bin
    pids+=("$vg")
    for side in lib base; do
        local url="http://127.0.0.1:$port$path"
        [ "$side" = base ] && url="http://127.0.0.1:$((port + 1))$path"
        h2load_calls "$url" 2000
        callgrind_control -z "$vg" >>"$LOG" 2>&1
        h2load_calls "$url" "$GRPC_CALLS"
        callgrind_control -d "$vg" >>"$LOG" 2>&1
        sleep 1
        local ir
        ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$(ls -t "$out"/* | head -n1)")
        if [ "$side" = lib ]; then LIB_IR=$(calc "$ir / $GRPC_CALLS" 0); else BASE_IR=$(calc "$ir / $GRPC_CALLS" 0); fi
    done
    kill "$vg" "$wrapper" 2>/dev/null || true
    wait "$wrapper" 2>/dev/null || true
    rm -rf "$out"
    say "8. gRPC Check under callgrind: library $LIB_IR instructions/call, baseline $BASE_IR"
}

bench_grpc() {
    local grpc_port bin=$CARGO_TARGET_DIR/release/bench-grpc path=/grpc.health.v1.Health/Check
    grpc_port=$(free_port $((PORT + 200)))
    # One gRPC frame: uncompressed, 0 bytes long, i.e. `HealthCheckRequest { service: "" }`.
    GRPC_REQUEST=$OUT/grpc-check-request.bin
    printf '\0\0\0\0\0' >"$GRPC_REQUEST"
    taskset -c "$SERVER_CPU" "$bin" serve --port "$grpc_port" \
        --pg "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
        --redis "redis://127.0.0.1:$REDIS_PORT" >>"$LOG" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_port "$grpc_port"; wait_port $((grpc_port + 1))
    verify_grpc() {
        for p in "$grpc_port" $((grpc_port + 1)); do
            "$bin" verify --addr "127.0.0.1:$p" >>"$LOG" 2>&1 || { say "8. gRPC on $p does not answer SERVING (see $LOG)"; exit 1; }
        done
    }
    verify_grpc
    PAIR_WARM=h2load_warm PAIR_RUN=h2load_run pair "8. gRPC Check" \
        "http://127.0.0.1:$((grpc_port + 1))$path" "http://127.0.0.1:$grpc_port$path"
    verify_grpc
    throughput_row "8. gRPC Check \"\", cached readiness vs tonic-health HealthReporter" 0.9
    stop_server
    grpc_instructions "$bin" "$grpc_port" "$path"
    local ratio; ratio=$(calc "$BASE_IR / $LIB_IR" 2)
    row "8. gRPC Check \"\", instructions per call (callgrind)" "$LIB_IR" "$BASE_IR" "$ratio" \
        "≥ 0.9" "$(meets "$ratio >= 0.9")"
}
