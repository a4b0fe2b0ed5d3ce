# shellcheck shell=bash
# Figure 13 of scripts/bench, which sources this file: a fleet of FLEET_REPLICAS replicas
# (one `Health` handle each, all in one `bench-fleet` process) refreshing one PostgreSQL
# check in the background every FLEET_PERIOD seconds, in real time, against a private
# PostgreSQL of this figure's own (so that its outage stops nothing else). Two fleets run
# side by side from the same instant: the library's default schedule (phase from each
# pod's name, jitter, backoff) and a naive one (`without_spread`: the same period, every
# replica on the same instants). After 3 periods the database is stopped for
# FLEET_OUTAGE seconds (`pg_ctl stop -m immediate`, as a crash) and started again on the
# same port.
#
# Every run inserts a row the database stamps (`clock_timestamp()`); queries per second
# are counted from those stamps in 1 s windows. Peak-to-mean = the busiest window / the
# fleet's mean rate over its first 3 periods: after the simultaneous start (the busiest
# window of those periods), and after the outage ends (the busiest window of the 5
# periods from the database's return; the mean is the steady one, since a fleet backing
# off comes back at a lower rate, and what matters is whether its return is a herd).
#
# Scale: real time, the outage its full 30 s, but a 3 s period (a probe's is often 10 s),
# so that a 1 s window holds about 167 of a fleet's queries. The spread fleet's replicas are
# named as a Deployment's pods, so their phases are hashes, as independent as random
# ones: a window's count then varies as a binomial's, by about its square root, which
# is what the peak over the mean measures at this rate (about 1.2 at 100 a window, 5 s;
# 1.3 to 1.4 at 50, a 10 s period). A StatefulSet's ordinals spread evenly whatever the
# rate.
#
# Knobs (environment): BENCH_FLEET_REPLICAS (500), BENCH_FLEET_PERIOD (s, 3),
# BENCH_FLEET_OUTAGE (s, 30). About 9 + 30 + 15 s with the defaults.

FLEET_REPLICAS=${BENCH_FLEET_REPLICAS:-500}
FLEET_PERIOD=${BENCH_FLEET_PERIOD:-3}
FLEET_OUTAGE=${BENCH_FLEET_OUTAGE:-30}

fleet_dir=
fleet_cleanup() {
    if [ -n "$fleet_dir" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$fleet_dir/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$fleet_dir"
        fleet_dir=
    fi
}

bench_fleet() {
    local bin=$CARGO_TARGET_DIR/release/bench-fleet port pg_ctl out
    trap 'fleet_cleanup; cleanup' EXIT
    port=$(free_port $((PG_PORT + 1)))
    fleet_dir=$(mktemp -d /tmp/health-bench-fleet.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$fleet_dir"; fi
    as_pg "$pg_bin/initdb" -D "$fleet_dir/data" -U postgres -A trust --no-sync >>"$LOG" 2>&1
    pg_ctl="$pg_bin/pg_ctl"
    if [ "$(id -u)" -eq 0 ]; then pg_ctl="runuser -u postgres -- $pg_ctl"; fi
    local options="-p $port -c listen_addresses=127.0.0.1 -k $fleet_dir -c fsync=off -c max_connections=60"
    local start="$pg_ctl -D $fleet_dir/data -l $fleet_dir/log -w -t 30 start -o '$options' >>$LOG 2>&1"
    local stop="$pg_ctl -D $fleet_dir/data -m immediate stop >>$LOG 2>&1"
    sh -c "$start"
    say "13. $FLEET_REPLICAS replicas, period ${FLEET_PERIOD}s, outage ${FLEET_OUTAGE}s, PostgreSQL on $port ..."
    out=$("$bin" --pg "postgres://postgres@127.0.0.1:$port/postgres" --stop "$stop" --start "$start" \
        --replicas "$FLEET_REPLICAS" --period "$FLEET_PERIOD" --outage "$FLEET_OUTAGE" 2>>"$LOG")
    log "$out"
    fleet_cleanup
    trap cleanup EXIT
    # Lines: SPAN FLEET PEAK MEAN PEAK_TO_MEAN.
    fleet_field() { awk -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f { print $c }' <<<"$out"; }
    local span label lib base
    for span in start outage; do
        if [ "$span" = start ]; then label="after a simultaneous start"; else label="after a ${FLEET_OUTAGE} s outage ends"; fi
        lib=$(fleet_field "$span" spread 5) base=$(fleet_field "$span" naive 5)
        say "13. $label: spread $lib ($(fleet_field "$span" spread 3) q/s peak, $(fleet_field "$span" spread 4) mean), naive $base ($(fleet_field "$span" naive 3) q/s peak)"
        row "13. $FLEET_REPLICAS replicas, one PostgreSQL: peak-to-mean q/s (1 s windows) $label, spread vs naive" \
            "$lib ($(fleet_field "$span" spread 3) q/s peak)" "$base ($(fleet_field "$span" naive 3) q/s peak)" \
            "$lib" "≤ 1.25" "$(meets "$lib <= 1.25")"
    done
}
