#!/usr/bin/env python3
"""benchmark/big-download.py - porty's memory while it streams a 1 GiB HTTP response.

An nginx backend (1 worker, sendfile) serves a sparse 1 GiB file from a temp dir; porty runs one
HTTP-mode route (mode = "http") with nginx as its configured target; curl downloads the file
through porty to /dev/null, first at full speed, then as a slow reader (--limit-rate, default
50M) so that porty's backpressure is what bounds its buffers. porty's VmRSS is sampled from
/proc/PID/status every ~50 ms during each download; the peak sample and the kernel's own
high-water mark (VmHWM) are printed.

Exit status: 0 when every download was complete (1 GiB, HTTP 200) and every peak is under the
target (32 MiB, PERFORMANCE.md); 1 otherwise; 2 when a tool is missing.

Usage:
    PORTY_BIN=/work/build-bench python3 benchmark/big-download.py
    python3 benchmark/big-download.py --porty /path/to/porty --size-mib 1024 --slow-rate 50M
    python3 benchmark/big-download.py --no-slow      # only the full-speed download

Stdlib only; needs nginx, curl (and taskset for pinning, optional).
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

LIMIT_KIB = 32 * 1024


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_http(port, path, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "1",
                            "-r", "0-0", f"http://127.0.0.1:{port}{path}"],
                           capture_output=True, text=True)
        if r.stdout in ("200", "206"):
            return True
        time.sleep(0.1)
    return False


class Sampler(threading.Thread):
    """Samples VmRSS of PID every INTERVAL seconds until stopped."""

    def __init__(self, pid, interval):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            v = status_kib(self.pid, "VmRSS")
            if v is not None:
                self.samples.append(v)
            self.stop.wait(self.interval)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--porty", default=os.environ.get("PORTY_BIN", "./src/porty"),
                    help="porty binary or build dir (default $PORTY_BIN or ./src/porty)")
    ap.add_argument("--size-mib", type=int, default=1024, help="body size in MiB (default 1024)")
    ap.add_argument("--slow-rate", default="50M", help="curl --limit-rate for the slow reader (default 50M)")
    ap.add_argument("--no-slow", action="store_true", help="skip the slow-reader download")
    ap.add_argument("--interval", type=float, default=0.05, help="RSS sampling interval, s (default 0.05)")
    ap.add_argument("--limit-mib", type=float, default=LIMIT_KIB / 1024, help="peak RSS target, MiB (default 32)")
    ap.add_argument("--proxy-cpu", default=os.environ.get("PROXY_CPU", "1"))
    ap.add_argument("--client-cpu", default=os.environ.get("CLIENT_CPU", "0"))
    ap.add_argument("--porty-extra", default=os.environ.get("PORTY_EXTRA", ""),
                    help="extra top-level TOML lines for porty's config")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    a = ap.parse_args()

    porty = a.porty
    if os.path.isdir(porty):
        porty = os.path.join(porty, "src", "porty")
    missing = [c for c in ("nginx", "curl") if shutil.which(c) is None]
    if missing:
        print(f"big-download: missing tools: {' '.join(missing)} (apt-get install -y nginx-light curl)",
              file=sys.stderr)
        return 2
    if not os.access(porty, os.X_OK):
        print(f"big-download: porty binary not found at {porty!r} (--porty or PORTY_BIN)", file=sys.stderr)
        return 2
    pin = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    proxy_pfx = ["taskset", "-c", a.proxy_cpu] if pin else []
    client_pfx = ["taskset", "-c", a.client_cpu] if pin else []

    work = tempfile.mkdtemp(prefix="porty-bigdl.")
    procs = []

    def cleanup(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if a.keep:
            print(f"big-download: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(130))
    size = a.size_mib * 1024 * 1024
    try:
        nginx_port, porty_port = free_ports(2)
        www = os.path.join(work, "www")
        os.makedirs(www)
        os.makedirs(os.path.join(work, "tmp"))
        with open(os.path.join(www, "big"), "wb") as f:
            f.truncate(size)  # sparse: no disk used, reads as zeros
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 120s;
    default_type application/octet-stream;
    client_body_temp_path {work}/tmp/body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;
    server {{
        listen 127.0.0.1:{nginx_port};
        root {www};
        location / {{ }}
    }}
}}
""")
        with open(os.path.join(work, "porty.toml"), "w") as f:
            f.write(f"""# generated by benchmark/big-download.py
log_requests = false
log_level = "none"
{a.porty_extra}

[[routes]]
name = "bigdl"
mode = "http"
listen_addr = "127.0.0.1"
listen_port = {porty_port}
target_addr = "127.0.0.1"
target_port = {nginx_port}
""")
        nlog = open(os.path.join(work, "nginx.log"), "w")
        procs.append(subprocess.Popen(client_pfx + ["nginx", "-p", work, "-c", os.path.join(work, "nginx.conf"),
                                                    "-e", os.path.join(work, "nginx-error.log")],
                                      stdout=nlog, stderr=subprocess.STDOUT))
        if not wait_http(nginx_port, "/big"):
            print("big-download: nginx backend did not start", file=sys.stderr)
            return 1
        plog = open(os.path.join(work, "porty.log"), "w")
        pp = subprocess.Popen(proxy_pfx + [porty, "start", "--config", os.path.join(work, "porty.toml")],
                              stdout=plog, stderr=subprocess.STDOUT)
        procs.append(pp)
        if not wait_http(porty_port, "/big"):
            print("big-download: porty did not forward; its log:", file=sys.stderr)
            print(open(os.path.join(work, "porty.log")).read()[-2000:], file=sys.stderr)
            return 1
        time.sleep(0.3)
        idle = status_kib(pp.pid, "VmRSS")
        print(f"porty {porty} (pid {pp.pid}), HTTP route :{porty_port} -> nginx :{nginx_port}; "
              f"body {a.size_mib} MiB; RSS sampled every {a.interval * 1000:.0f} ms; target < {a.limit_mib:g} MiB")
        print(f"porty VmRSS before any download: {idle} KiB")
        print()
        runs = [("full speed", [])]
        if not a.no_slow:
            runs.append((f"slow reader ({a.slow_rate}/s)", ["--limit-rate", a.slow_rate]))
        hdr = f"{'download':<24} {'bytes':>12} {'status':>6} {'seconds':>8} {'MiB/s':>8} {'samples':>7} {'peak VmRSS':>11} {'VmHWM':>10}  verdict"
        print(hdr)
        print("-" * len(hdr))
        ok = True
        limit_kib = a.limit_mib * 1024
        for name, extra in runs:
            s = Sampler(pp.pid, a.interval)
            s.start()
            t0 = time.time()
            r = subprocess.run(client_pfx + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}"]
                               + extra + [f"http://127.0.0.1:{porty_port}/big"],
                               capture_output=True, text=True)
            dt = time.time() - t0
            time.sleep(0.1)
            s.stop.set()
            s.join()
            hwm = status_kib(pp.pid, "VmHWM")
            try:
                code, got = r.stdout.split()
                got = int(got)
            except ValueError:
                code, got = "?", 0
            peak = max(s.samples) if s.samples else None
            good = (code == "200" and got == size and peak is not None and peak < limit_kib
                    and pp.poll() is None)
            ok = ok and good
            verdict = "ok" if good else ("FAIL: incomplete download" if got != size or code != "200"
                                         else "FAIL: porty died" if pp.poll() is not None
                                         else "FAIL: peak over target")
            print(f"{name:<24} {got:>12} {code:>6} {dt:>8.1f} {got / 1048576 / dt:>8.0f} {len(s.samples):>7} "
                  f"{peak if peak is not None else 'n/a':>7} KiB {hwm if hwm is not None else 'n/a':>6} KiB  {verdict}")
        print()
        print("peak VmRSS = largest sample during that download; VmHWM = porty's RSS high-water mark since "
              "it started (cumulative, sampling-independent).")
        print("PASS: every peak under target" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
