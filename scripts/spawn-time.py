#!/usr/bin/env python3
"""Spawn to first answer: starts COMMAND... stdio --in-process (or, with --bridge PORT, the stdio bridge to the daemon
on that port), writes one `initialize` line, times until the first stdout line, closes stdin. 21 runs, the first
dropped; prints the p50 and the minimum in ms.
Usage: scripts/spawn-time.py [--bridge PORT] COMMAND...   e.g. scripts/spawn-time.py artifacts/native/bin/exaifast"""
import os, statistics, subprocess, sys, tempfile, time

INIT = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"m","version":"1"}}}\n'
args = sys.argv[1:]
env = dict(os.environ)
if args[:1] == ["--bridge"]:
    env["EXAI_WS_PORT"] = args[1]
    mode, command = [], args[2:]
else:
    mode, command = ["--in-process"], args
if not command:
    sys.exit(__doc__)
with tempfile.NamedTemporaryFile("w", suffix=".env") as empty:
    times = []
    for i in range(21):
        t0 = time.perf_counter()
        p = subprocess.Popen(command + ["stdio", *mode, "--env-file", empty.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env)
        p.stdin.write(INIT)
        p.stdin.flush()
        line = p.stdout.readline()
        if not line.startswith(b'{"jsonrpc"'):
            sys.exit(f"no answer from {' '.join(command)}: {line!r}")
        if i:
            times.append((time.perf_counter() - t0) * 1000)
        p.stdin.close()
        p.wait()
print(f"{' '.join(command)}: p50 {statistics.median(times):.1f} ms, min {min(times):.1f} ms")
