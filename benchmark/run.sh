#!/usr/bin/env bash
# benchmark/run.sh - porty vs direct vs HAProxy, side by side, in one run.
#
# Needs (Debian packages): wrk, nginx-light (or nginx), haproxy, python3, curl,
# util-linux (taskset). It installs nothing; as root: apt-get install -y wrk nginx-light haproxy
#
# Method (see benchmark/README.md): an nginx backend (1 worker, keep-alive, access log off)
# serves /small (2 bytes) and /large (256 KiB); wrk (one thread) and nginx share CPU 0, the
# forwarder under test has CPU 1 to itself. Every target is measured in the same run, rounds
# interleaved (run 1 of every cell, then run 2, ...), medians per cell, ratios to direct.
#
# Usage (from a build dir, or with PORTY_BIN):
#   PORTY_BIN=/work/build-bench/src/porty /work/main/benchmark/run.sh
#   QUICK=1 benchmark/run.sh                     # 1 run of 2 s per cell
#   TARGETS="direct haproxy-tcp" QUICK=1 benchmark/run.sh
#   MODE=http benchmark/run.sh                   # the HTTP-mode preset (targets and pairs below)
#   MODE=tls benchmark/run.sh                    # TLS termination, porty beside HAProxy
#
# Environment:
#   PORTY_BIN     porty binary, or a build dir containing src/porty   (default ./src/porty)
#   RUNS          runs per cell, median taken                         (default 3; QUICK: 1)
#   DURATION      seconds per wrk run                                 (default 5; QUICK: 2)
#   CONCURRENCY   wrk connection counts                               (default "1 64 400")
#   PATHS         request paths                                       (default "/small /large")
#   MODE          tcp, http or tls: the default TARGETS/PAIRS preset   (default tcp)
#   TARGETS       targets to measure, in order                        (default "direct porty-tcp haproxy-tcp";
#                 MODE=http: "direct porty-http porty-http-dynamic porty-http-host haproxy-http";
#                 MODE=tls: "porty-tls-tcp haproxy-tls-tcp porty-tls-http haproxy-tls-http
#                 porty-tls-hs haproxy-tls-hs": TLS terminated with the same certificate
#                 (a throwaway P-256 one made here), tcp and http mode with keep-alive, and
#                 *-tls-hs: http mode with "Connection: close", a new TCP connection and a full
#                 handshake per request, so requests/s = handshakes/s)
#   PAIRS         "a:b" target pairs whose req/s ratio is printed     (default "porty-tcp:haproxy-tcp";
#                 MODE=http: each porty-http* : haproxy-http; MODE=tls: each porty-tls-* :
#                 haproxy-tls-*)
#   CLIENT_CPU    CPU for wrk and nginx                               (default 0)
#   PROXY_CPU     CPU for the forwarders                              (default 1)
#   KEEP=1        keep the temp dir (configs, logs, raw wrk output) and print its path
#   PORTY_EXTRA   extra top-level TOML lines for porty's config, e.g. "buffer_size_kb = 64"
#   WORKERS       workers = N for every porty target; with N > 1 porty runs on WORKER_CPUS
#                 instead of PROXY_CPU (one CPU cannot show what N processes do)
#   WORKER_CPUS   taskset CPU list for porty with WORKERS > 1      (default: every CPU, e.g. 0-1;
#                 on a 2-CPU machine the workers share CPU 0 with wrk and nginx)
#                 e.g. MODE=http WORKERS=2 QUICK=1 benchmark/run.sh
#   HOLD=1        start backend and targets, print their ports and pids, measure nothing, and
#                 wait until interrupted (for perf record / strace against a pinned forwarder)
#
# Exit status: 0 when every cell was measured and porty had no socket errors or non-2xx
# responses; 1 otherwise (a target that failed to start is skipped, reported, and counts as
# failure); 2 when a needed tool is missing.
#
# Adding a target (e.g. HTTP mode): write start_<name> (dashes become underscores) that starts
# the process pinned with "${PROXY[@]}", registers it with `track`, and sets TARGET_PORT[<name>];
# then add the name to TARGETS and, for a head-to-head ratio, a pair to PAIRS. A target that
# needs a query appended to every path, or extra request headers, sets TARGET_QUERY[<name>]
# (e.g. "?a=b") and/or TARGET_HEADER[<name>] (one "Name: value" header); wrk and the readiness
# probes (curl) both use them.

set -u
set -o pipefail

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${RUNS:-1}
    DURATION=${DURATION:-2}
else
    RUNS=${RUNS:-3}
    DURATION=${DURATION:-5}
fi
CONCURRENCY=${CONCURRENCY:-"1 64 400"}
PATHS=${PATHS:-"/small /large"}
MODE=${MODE:-tcp}
case "$MODE" in
tcp)
    TARGETS=${TARGETS:-"direct porty-tcp haproxy-tcp"}
    PAIRS=${PAIRS:-"porty-tcp:haproxy-tcp"} ;;
http)
    TARGETS=${TARGETS:-"direct porty-http porty-http-dynamic porty-http-host haproxy-http"}
    PAIRS=${PAIRS:-"porty-http:haproxy-http porty-http-dynamic:haproxy-http porty-http-host:haproxy-http"} ;;
tls)
    TARGETS=${TARGETS:-"porty-tls-tcp haproxy-tls-tcp porty-tls-http haproxy-tls-http porty-tls-hs haproxy-tls-hs"}
    PAIRS=${PAIRS:-"porty-tls-tcp:haproxy-tls-tcp porty-tls-http:haproxy-tls-http porty-tls-hs:haproxy-tls-hs"} ;;
*)
    printf 'run.sh: MODE must be tcp, http or tls, not %s\n' "$MODE" >&2; exit 2 ;;
esac
CLIENT_CPU=${CLIENT_CPU:-0}
PROXY_CPU=${PROXY_CPU:-1}
PORTY_BIN=${PORTY_BIN:-./src/porty}
[ -d "$PORTY_BIN" ] && PORTY_BIN=$PORTY_BIN/src/porty
KEEP=${KEEP:-0}

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit "${2:-1}"; }

# ---------------------------------------------------------------- prerequisites
need_cmd() { # cmd debian-package
    command -v "$1" >/dev/null 2>&1 || MISSING="$MISSING $2"
}
MISSING=""
need_cmd wrk wrk
need_cmd nginx nginx-light
need_cmd haproxy haproxy
need_cmd python3 python3
need_cmd curl curl
need_cmd taskset util-linux
[ "$MODE" = tls ] && need_cmd openssl openssl
case " $TARGETS " in
*" porty-"*)
    [ -x "$PORTY_BIN" ] || die "porty binary not found at '$PORTY_BIN' (set PORTY_BIN to the binary or to a build dir)" 2 ;;
esac
if [ -n "$MISSING" ]; then
    die "missing tools; install (as root): apt-get install -y$MISSING" 2
fi

# CLIENT / PROXY: command prefixes (arrays, not functions, so that `"${PROXY[@]}" prog &`
# gives $! = the pid of prog itself: taskset execs it).
NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then
    say "run.sh: warning: only $NCPU CPU; running unpinned (numbers are not comparable to the bar)"
    CLIENT=(env)
    PROXY=(env)
else
    CLIENT=(taskset -c "$CLIENT_CPU")
    PROXY=(taskset -c "$PROXY_CPU")
fi
# porty's prefix: PROXY, or the WORKER_CPUS for several workers.
WORKERS=${WORKERS:-1}
case "$WORKERS" in
''|*[!0-9]*) [ "$WORKERS" = auto ] || die "WORKERS must be a number or auto, not '$WORKERS'" 2 ;;
esac
PORTY_RUN=("${PROXY[@]}")
if [ "$WORKERS" != 1 ]; then
    WORKER_CPUS=${WORKER_CPUS:-0-$((NCPU - 1))}
    PORTY_RUN=(taskset -c "$WORKER_CPUS")
    say "run.sh: porty runs workers = $WORKERS on CPUs $WORKER_CPUS"
fi

# ---------------------------------------------------------------- temp dir, cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/porty-bench.XXXXXX") || die "mktemp failed"
PIDS=()
track() { PIDS+=("$1"); }
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ "$KEEP" = 1 ]; then say "run.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Kernel-assigned free loopback ports: bind N sockets to port 0 at once, print, close.
free_ports() { # count
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# curl with a target's query suffix and extra header: tcurl TARGET PATH [curl options...]
# (TARGET may also be a bare port, for the backend itself).
tcurl() {
    local t=$1 path=$2 port
    shift 2
    port=${TARGET_PORT[$t]:-$t}
    local hdr=()
    [ -n "${TARGET_HEADER[$t]:-}" ] && hdr=(-H "${TARGET_HEADER[$t]}")
    # -k: the TLS targets use a throwaway self-signed certificate.
    curl -s -k "${hdr[@]}" "$@" "${TARGET_SCHEME[$t]:-http}://127.0.0.1:$port$path${TARGET_QUERY[$t]:-}"
}

# Wait until http://127.0.0.1:PORT/small answers 200 (up to ~5 s). TARGET: a target name (its
# query and header are used) or a bare port.
wait_http() { # target-or-port
    local _
    for _ in $(seq 50); do
        if [ "$(tcurl "$1" /small -o /dev/null -w '%{http_code}' --max-time 1)" = 200 ]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- the backend: nginx
declare -A TARGET_PORT TARGET_PID TARGET_QUERY TARGET_HEADER TARGET_SCHEME
read -r NGINX_PORT PORTY_TCP_PORT HAPROXY_TCP_PORT PORTY_HTTP_PORT HAPROXY_HTTP_PORT PORTY_TCP64_PORT \
    PORTY_HTTP_DYN_PORT PORTY_HTTP_HOST_PORT <<<"$(free_ports 8)"
read -r PORTY_TLS_TCP_PORT HAPROXY_TLS_TCP_PORT PORTY_TLS_HTTP_PORT HAPROXY_TLS_HTTP_PORT \
    PORTY_TLS_HS_PORT HAPROXY_TLS_HS_PORT <<<"$(free_ports 6)"

start_nginx() {
    mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp"
    printf 'ok' >"$WORK/nginx/www/small"
    head -c 262144 /dev/zero | tr '\0' 'x' >"$WORK/nginx/www/large"
    cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 10000; multi_accept on; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096 reuseport;
        root $WORK/nginx/www;
        location / { }
    }
}
EOF
    "${CLIENT[@]}" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
        >>"$WORK/nginx/stdout.log" 2>&1 &
    track $!
    wait_http "$NGINX_PORT" || { cat "$WORK/nginx/error.log" >&2; die "nginx backend did not start"; }
    [ "$(curl -s "http://127.0.0.1:$NGINX_PORT/large" | wc -c)" = 262144 ] || die "nginx /large is not 256 KiB"
}

# ---------------------------------------------------------------- targets
# Each start_<target> starts its process (if any) pinned to PROXY_CPU, tracks its pid, and sets
# TARGET_PORT[<target>] (and TARGET_PID[<target>] for the forwarder itself, for profiling).

start_direct() {
    TARGET_PORT[direct]=$NGINX_PORT
}

start_porty() { # name mode port [extra top-level TOML]
    start_porty_routes "$1" "$3" "${4:-}" "
[[routes]]
name = \"bench\"
mode = \"$2\"
listen_addr = \"127.0.0.1\"
listen_port = $3
target_addr = \"127.0.0.1\"
target_port = $NGINX_PORT"
}
start_porty_routes() { # name port extra-top-level-TOML routes-TOML
    local name=$1 port=$2 extra=$3 routes=$4 dir="$WORK/$1"
    mkdir -p "$dir"
    cat >"$dir/porty.toml" <<EOF
# generated by benchmark/run.sh
log_requests = false
log_level = "none"
max_connections = 9900
max_connections_total = 9900
workers = $( [ "$WORKERS" = auto ] && echo '"auto"' || echo "$WORKERS" )
${PORTY_EXTRA:-}
$extra
$routes
EOF
    "${PORTY_RUN[@]}" "$PORTY_BIN" start --config "$dir/porty.toml" >"$dir/porty.log" 2>&1 &
    TARGET_PID[$name]=$!
    track $!
    TARGET_PORT[$name]=$port
}
start_porty_tcp() { start_porty porty-tcp tcp "$PORTY_TCP_PORT"; }
start_porty_http() { start_porty porty-http http "$PORTY_HTTP_PORT"; }
# HTTP mode, dynamic target: no configured target; every request names nginx in its query
# (porty strips porty_host/porty_port before forwarding; nginx ignores the rest of the query).
start_porty_http_dynamic() {
    TARGET_QUERY[porty-http-dynamic]="?porty_host=127.0.0.1&porty_port=$NGINX_PORT"
    start_porty_routes porty-http-dynamic "$PORTY_HTTP_DYN_PORT" "" "
[[routes]]
name = \"bench-dynamic\"
mode = \"http\"
listen_addr = \"127.0.0.1\"
listen_port = $PORTY_HTTP_DYN_PORT
target_port = 0
dynamic = true
dynamic_allow = [\"127.0.0.1\"]"
}
# HTTP mode, Host routing: three routes share the port; wrk's Host header picks the second.
start_porty_http_host() {
    TARGET_HEADER[porty-http-host]="Host: bench.example"
    local routes="" h i=0
    for h in '"other.example", "www.other.example"' '"bench.example"' '"third.example"'; do
        i=$((i + 1))
        routes="$routes
[[routes]]
name = \"bench-host-$i\"
mode = \"http\"
listen_addr = \"127.0.0.1\"
listen_port = $PORTY_HTTP_HOST_PORT
host = [$h]
target_addr = \"127.0.0.1\"
target_port = $NGINX_PORT
"
    done
    start_porty_routes porty-http-host "$PORTY_HTTP_HOST_PORT" "" "$routes"
}
# porty with 64 KiB buffers (the default is 8 KiB; HAProxy's is 16 KiB): not in the default set.
start_porty_tcp_64k() { start_porty porty-tcp-64k tcp "$PORTY_TCP64_PORT" "buffer_size_kb = 64"; }

# ---------------------------------------------------------------- TLS targets
# One throwaway certificate (P-256, self-signed) for porty and HAProxy alike; HAProxy wants
# the certificate and key in one file.
tls_cert() {
    [ -f "$WORK/tls/cert.pem" ] && return 0
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=bench.example" -addext "subjectAltName=DNS:bench.example,IP:127.0.0.1" \
        -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" >"$WORK/tls/openssl.log" 2>&1 ||
        { cat "$WORK/tls/openssl.log" >&2; return 1; }
    cat "$WORK/tls/cert.pem" "$WORK/tls/key.pem" >"$WORK/tls/haproxy.pem"
}
start_porty_tls() { # name mode port
    tls_cert || return 1
    TARGET_SCHEME[$1]=https
    start_porty_routes "$1" "$3" "" "
[[routes]]
name = \"bench-tls\"
mode = \"$2\"
listen_addr = \"127.0.0.1\"
listen_port = $3
target_addr = \"127.0.0.1\"
target_port = $NGINX_PORT
tls_cert = \"$WORK/tls/cert.pem\"
tls_key = \"$WORK/tls/key.pem\""
}
start_porty_tls_tcp() { start_porty_tls porty-tls-tcp tcp "$PORTY_TLS_TCP_PORT"; }
start_porty_tls_http() { start_porty_tls porty-tls-http http "$PORTY_TLS_HTTP_PORT"; }
start_porty_tls_hs() {
    TARGET_HEADER[porty-tls-hs]="Connection: close"
    start_porty_tls porty-tls-hs http "$PORTY_TLS_HS_PORT"
}
start_haproxy_tls_tcp() { start_haproxy haproxy-tls-tcp tcp "$HAPROXY_TLS_TCP_PORT" tls; }
start_haproxy_tls_http() { start_haproxy haproxy-tls-http http "$HAPROXY_TLS_HTTP_PORT" tls; }
start_haproxy_tls_hs() {
    TARGET_HEADER[haproxy-tls-hs]="Connection: close"
    start_haproxy haproxy-tls-hs http "$HAPROXY_TLS_HS_PORT" tls
}

start_haproxy() { # name mode port [tls]
    local name=$1 mode=$2 port=$3 dir="$WORK/$1" extra="" bind=""
    mkdir -p "$dir"
    if [ "${4:-}" = tls ]; then
        tls_cert || return 1
        TARGET_SCHEME[$name]=https
        # The same protocol floor as porty: TLS 1.2 and 1.3.
        bind=" ssl crt $WORK/tls/haproxy.pem ssl-min-ver TLSv1.2"
    fi
    if [ "$mode" = http ]; then
        extra="    option http-keep-alive
    http-reuse always"
    fi
    cat >"$dir/haproxy.cfg" <<EOF
# generated by benchmark/run.sh
global
    nbthread 1
    maxconn 9900
    log stderr format raw local0 err

defaults
    mode $mode
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 120s
$extra

frontend fe
    bind 127.0.0.1:$port$bind
    default_backend be

backend be
    server nginx 127.0.0.1:$NGINX_PORT
EOF
    haproxy -c -q -f "$dir/haproxy.cfg" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; return 1; }
    "${PROXY[@]}" haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
    TARGET_PID[$name]=$!
    track $!
    TARGET_PORT[$name]=$port
}
start_haproxy_tcp() { start_haproxy haproxy-tcp tcp "$HAPROXY_TCP_PORT"; }
start_haproxy_http() { start_haproxy haproxy-http http "$HAPROXY_HTTP_PORT"; }

# ---------------------------------------------------------------- start everything
start_nginx
ACTIVE=""
FAILED=""
for t in $TARGETS; do
    fn="start_${t//-/_}"
    if ! declare -F "$fn" >/dev/null; then die "unknown target '$t' (no function $fn)" 2; fi
    if "$fn" && wait_http "$t" &&
        [ "$(tcurl "$t" /large --max-time 5 | wc -c)" = 262144 ]; then
        ACTIVE="$ACTIVE $t"
    else
        say "run.sh: target $t does not forward; skipped. Its log:"
        tail -n 20 "$WORK/$t/"*.log >&2 2>/dev/null
        FAILED="$FAILED $t"
    fi
done
[ -n "$ACTIVE" ] || die "no target started"

if [ "${HOLD:-0}" = 1 ]; then
    # Profiling aid: keep everything running, pinned, and say where; Ctrl-C (or SIGTERM) ends it.
    for t in $ACTIVE; do
        say "run.sh: HOLD $t: ${TARGET_SCHEME[$t]:-http}://127.0.0.1:${TARGET_PORT[$t]}/small${TARGET_QUERY[$t]:-}${TARGET_HEADER[$t]:+  (header '${TARGET_HEADER[$t]}')}  pid ${TARGET_PID[$t]:-(nginx)}"
    done
    say "run.sh: HOLD: e.g. perf record -g -p PID -- sleep 5  while  taskset -c $CLIENT_CPU wrk -t1 -c64 -d5s URL"
    while :; do sleep 1; done
fi

NCELLS=$(( $(wc -w <<<"$PATHS") * $(wc -w <<<"$CONCURRENCY") * $(wc -w <<<"$ACTIVE") ))
say "run.sh: nginx :$NGINX_PORT; targets:$(for t in $ACTIVE; do printf ' %s :%s' "$t" "${TARGET_PORT[$t]}"; done)"
say "run.sh: $RUNS run(s) x $NCELLS cells x ${DURATION}s  (about $(( RUNS * NCELLS * (DURATION + 1) / 60 + 1 )) min)"
say "run.sh: wrk+nginx on CPU $CLIENT_CPU, forwarders on CPU $PROXY_CPU; load now: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- measure
# Rounds are interleaved: run r of every cell before run r+1 of any, so slow drift in machine
# load hits every target alike. Each wrk result goes to raw/<target>_<path>_<c>_<run>.txt.
mkdir -p "$WORK/raw"
for r in $(seq "$RUNS"); do
    for p in $PATHS; do
        for c in $CONCURRENCY; do
            for t in $ACTIVE; do
                out="$WORK/raw/${t}_${p#/}_${c}_${r}.txt"
                hdr=()
                [ -n "${TARGET_HEADER[$t]:-}" ] && hdr=(-H "${TARGET_HEADER[$t]}")
                "${CLIENT[@]}" wrk -t1 -c"$c" -d"${DURATION}s" --latency "${hdr[@]}" \
                    "${TARGET_SCHEME[$t]:-http}://127.0.0.1:${TARGET_PORT[$t]}$p${TARGET_QUERY[$t]:-}" >"$out" 2>&1
                printf '%s' . >&2
            done
        done
    done
    say " run $r/$RUNS done"
done

for t in $ACTIVE; do
    if [ -n "${TARGET_PID[$t]:-}" ] && ! kill -0 "${TARGET_PID[$t]}" 2>/dev/null; then
        say "run.sh: target $t DIED during the run; its log:"
        tail -n 20 "$WORK/$t/"*.log >&2 2>/dev/null
        FAILED="$FAILED $t(died)"
    fi
done

# ---------------------------------------------------------------- report
python3 - "$WORK/raw" "$RUNS" "$DURATION" "$PATHS" "$CONCURRENCY" "$ACTIVE" "$PAIRS" "$FAILED" <<'EOF'
import os, re, sys, statistics
raw, runs, duration, paths, concs, targets, pairs, failed = sys.argv[1:9]
paths, concs, targets = paths.split(), concs.split(), targets.split()
pairs = [p.split(":") for p in pairs.split()]
pairs = [p for p in pairs if len(p) == 2 and p[0] in targets and p[1] in targets]

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    return float(m.group(1)) * UNIT[m.group(2)] if m else None

def parse(fn):
    txt = open(fn, errors="replace").read()
    r = {"rps": None, "p99": None, "err": 0, "non2xx": 0, "errtxt": ""}
    m = re.search(r"Requests/sec:\s+([\d.]+)", txt)
    if m: r["rps"] = float(m.group(1))
    m = re.search(r"^\s+99%\s+(\S+)", txt, re.M)
    if m: r["p99"] = ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", txt)
    if m:
        r["err"] = sum(int(x) for x in m.groups()); r["errtxt"] = m.group(0)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
    if m: r["non2xx"] = int(m.group(1))
    if r["rps"] is None: r["errtxt"] = "wrk failed: " + txt.strip().splitlines()[-1] if txt.strip() else "wrk printed nothing"
    return r

def fmt_rps(v):
    if v is None: return "n/a"
    return f"{v/1000:.1f}k" if v >= 10000 else f"{v:.0f}"
def fmt_ms(v):
    if v is None: return "n/a"
    return f"{v*1000:.0f}us" if v < 1 else f"{v:.2f}ms"

cells, problems = {}, []
for p in paths:
    for c in concs:
        for t in targets:
            rs = []
            for r in range(1, int(runs) + 1):
                fn = os.path.join(raw, f"{t}_{p.lstrip('/')}_{c}_{r}.txt")
                if os.path.exists(fn): rs.append(parse(fn))
            rps = [x["rps"] for x in rs if x["rps"] is not None]
            p99 = [x["p99"] for x in rs if x["p99"] is not None]
            err = sum(x["err"] for x in rs); non2xx = sum(x["non2xx"] for x in rs)
            cells[(p, c, t)] = dict(rps=statistics.median(rps) if rps else None,
                                    p99=statistics.median(p99) if p99 else None,
                                    err=err, non2xx=non2xx,
                                    spread=(min(rps), max(rps)) if len(rps) > 1 else None)
            for x in rs:
                if x["err"] or x["non2xx"] or x["rps"] is None:
                    problems.append((t, p, c, x["errtxt"] + (f" non-2xx {x['non2xx']}" if x["non2xx"] else "")))

print()
print(f"Requests/s and p99 latency: median of {runs} run(s) of {duration}s; wrk -t1, "
      f"x direct = req/s relative to direct in the same run.")
tw = max([13] + [len(t) for t in targets])
hdr = f"{'path':<7} {'c':>4}  {'target':<{tw}} {'req/s':>8} {'p99':>9} {'x direct':>8} {'min..max req/s':>16}  errors"
print(hdr); print("-" * len(hdr))
for p in paths:
    for c in concs:
        d = cells.get((p, c, "direct"), {}).get("rps")
        for t in targets:
            x = cells[(p, c, t)]
            ratio = f"{x['rps']/d:.2f}" if d and x["rps"] else "-"
            spread = f"{fmt_rps(x['spread'][0])}..{fmt_rps(x['spread'][1])}" if x["spread"] else ""
            errs = []
            if x["err"]: errs.append(f"{x['err']} socket")
            if x["non2xx"]: errs.append(f"{x['non2xx']} non-2xx")
            print(f"{p:<7} {c:>4}  {t:<{tw}} {fmt_rps(x['rps']):>8} {fmt_ms(x['p99']):>9} {ratio:>8} {spread:>16}  {', '.join(errs) or '-'}")
    print()

bad = False
if pairs:
    print("Head to head (req/s ratio, same run; > 1.00 means the first is faster):")
    cols = [f"{p} c={c}" for p in paths for c in concs]
    w = max(12, max(len(x) for x in cols))
    lw = max([28] + [len(a + ' / ' + b) + 1 for a, b in pairs])
    print(f"{'':<{lw}}" + "".join(f"{x:>{w+1}}" for x in cols))
    for a, b in pairs:
        row = []
        for p in paths:
            for c in concs:
                ra, rb = cells[(p, c, a)]["rps"], cells[(p, c, b)]["rps"]
                row.append(f"{ra/rb:.2f}" if ra and rb else "-")
        print(f"{a + ' / ' + b:<{lw}}" + "".join(f"{x:>{w+1}}" for x in row))
    print()

if problems:
    print("wrk errors (per run):")
    for t, p, c, txt in problems:
        print(f"  {t} {p} c={c}: {txt}")
        if t.startswith("porty"): bad = True
    print()
porty_bad = [t for t in targets if t.startswith("porty") and any(
    cells[(p, c, t)]["err"] or cells[(p, c, t)]["non2xx"] or cells[(p, c, t)]["rps"] is None
    for p in paths for c in concs)]
if porty_bad:
    print("FAIL: porty had socket errors / non-2xx / failed runs in: " + " ".join(porty_bad))
elif any(t.startswith("porty") for t in targets):
    print("porty: no socket errors, no non-2xx responses.")
if failed.strip():
    print("FAIL: targets that did not start or died:" + failed)
sys.exit(1 if (porty_bad or failed.strip()) else 0)
EOF
