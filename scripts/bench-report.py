#!/usr/bin/env python3
"""Turns scripts/bench.sh's raw results (one JSON line per run) into the tables of perf/RESULTS.md: medians over
rounds per scenario and contender, the ratios ExaiFast/baseline, and where each target of issue 11 stands.
  bench-report.py --results FILE --machine M --command C --pinning P --settings S [--write perf/RESULTS.md]
  bench-report.py --line JSON      (one run in one line, for bench.sh's progress output)"""
import argparse, datetime, json, statistics, sys

BEGIN, END = "<!-- bench.sh:begin (generated; edit scripts/bench-report.py, not this section) -->", "<!-- bench.sh:end -->"
SCENARIOS = [  # key, title, contenders in order (the first is ExaiFast), baseline for the ratio
    ("echo", "WebSocket echo, 64 connections, 32 B", ["exaifast", "kestrel-echo", "tcp-echo"], "kestrel-echo"),
    ("ping", "exai-ws ping → pong, 64 connections", ["exaifast", "kestrel-exai"], "kestrel-exai"),
    ("call", "call_tool chat (local model, 0 ms) → ack + result, 64 connections", ["exaifast", "kestrel-exai"], "kestrel-exai"),
    ("call-1", "call_tool, 1 connection", ["exaifast", "kestrel-exai"], "kestrel-exai"),
    ("mcp", "MCP tools/call over WebSocket, 64 connections", ["exaifast", "kestrel-exai"], "kestrel-exai"),
    ("mcp-1", "MCP tools/call over WebSocket, 1 connection", ["exaifast", "kestrel-exai"], "kestrel-exai"),
    ("mcp-http", "MCP tools/call over Streamable HTTP, 64 connections", ["exaifast", "mcp-sdk"], "mcp-sdk"),
    ("open", "open loop at 0.5× probed capacity, chat at 10 ms, 64 connections", ["exaifast-shipped", "kestrel-exai"], "kestrel-exai"),
    ("overload", "open loop at 10× probed capacity, chat at 10 ms, 64 connections", ["exaifast-shipped", "kestrel-exai"], "kestrel-exai"),
    ("idle", "idle connections after hello (fresh daemons)", ["idle-exaifast", "idle-kestrel"], "idle-kestrel"),
]
NAMES = {
    "exaifast": "ExaiFast", "exaifast-shipped": "ExaiFast (shipped admission limits)", "idle-exaifast": "ExaiFast",
    "kestrel-echo": "stock Kestrel WebSocket echo", "tcp-echo": "raw TCP echo on sockets",
    "kestrel-exai": "minimal Kestrel exai daemon", "idle-kestrel": "minimal Kestrel exai daemon",
    "mcp-sdk": "official MCP C# SDK server (ASP.NET Core, stateless)",
}
MCP_BASELINE = "minimal Kestrel JSON-RPC daemon"

def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"

def line(r):
    s = f"{r['calls_per_s']:>9,.0f}/s  p50 {r['latency_us']['p50']:>8,.0f} µs  p99 {r['latency_us']['p99']:>9,.0f} µs  server {fmt(r['server_cpu_us_per_call'], 1)} µs/call"
    if r["refused"]:
        s += f"  refused {r['refused']:,} (p99 {r['refused_latency_us']['p99']:,.0f} µs)"
    if r.get("offered_per_s"):
        s += f"  offered {r['offered_per_s']:,.0f}/s dropped {r['dropped']:,} lost {r['lost']:,}"
    if r.get("rss_kib_per_connection") is not None:
        s += f"  {r['rss_kib_per_connection']:.2f} KiB/conn"
    if r["failed"]:
        s += f"  FAILED {r['failed']:,}"
    return s

def median_result(runs):
    """Median of every number over the rounds, nested objects included."""
    def med(values):
        if all(isinstance(v, dict) for v in values):
            return {k: med([v[k] for v in values]) for k in values[0]}
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return statistics.median(nums) if nums else values[0]
    return med(runs)

def per_core(r):
    cpu = r.get("server_cpu_us_per_call")
    return 1e6 / cpu if cpu else None

def ratio(a, b):
    return a / b if a is not None and b else None

def build(results, args):
    groups = {}
    for rec in results:
        groups.setdefault((rec["scenario"], rec["contender"]), []).append(rec["result"])
    m = {k: median_result(v) for k, v in groups.items()}
    get = lambda s, c: m.get((s, c))
    out = [BEGIN, "", f"## End to end, ExaiFast beside the baselines (scripts/bench.sh, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)", ""]
    if "--quick" in args.command:
        out += ["**A --quick run: one short round on a shared machine. It proves the harness runs end to end; its numbers are not for quoting.**", ""]
    out += [f"- Command: `{args.command}`", f"- Machine: {args.machine}", f"- Pinning: {args.pinning}", f"- Runs: {args.settings}; every number is the median over the rounds.",
            "- calls/s counts accepted calls; **per core** is 1 s of server CPU over the server's CPU per call (`/proc`), the number that does not depend on the generator keeping up. Latency of open loops counts from each call's intended send time.",
            "- Baselines: `perf/KestrelEcho`, `perf/KestrelExai` (the minimal exai daemon and, with subprotocol `mcp`, the minimal JSON-RPC daemon: stock Kestrel, handler inline, JsonDocument in, Utf8JsonWriter out, ack and result as two sends), `perf/McpSdkHttpServer`, the raw TCP echo of `exaifast-load tcp-echo-server`.", ""]
    out += ["| scenario | contender | calls/s | per core | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key, title, contenders, _ in SCENARIOS:
        for c in contenders:
            r = get(key, c)
            if r is None:
                continue
            name = MCP_BASELINE if key.startswith("mcp") and c == "kestrel-exai" else NAMES[c]
            notes = []
            if r.get("offered_per_s"):
                notes.append(f"offered {r['offered_per_s']:,.0f}/s (probed capacity {fmt(r.get('probed_capacity_per_s'))}/s), dropped {r['dropped']:,.0f}, lost {r['lost']:,.0f}")
                lag = r.get("send_lag_us")
                if lag:
                    notes.append(f"send lag p99 {lag['p99']:,.0f} µs" + (" — generator-bound" if lag["p50"] > 1000 else ""))
            if r["refused"]:
                rl = r["refused_latency_us"]
                notes.append(f"refused {r['refused'] / r['elapsed_s']:,.0f}/s: p50 {rl['p50']:,.0f}, p99 {rl['p99']:,.0f}, max {rl['max']:,.0f} µs")
            if r.get("rss_kib_per_connection") is not None:
                notes.append(f"**{r['rss_kib_per_connection']:.2f} KiB/connection** (RSS {r['server_rss_before_kib']:,.0f} → {r['server_rss_after_kib']:,.0f} KiB, {r['connections']:,.0f} connections; latency = connect + hello)")
            if r["failed"]:
                notes.append(f"FAILED {r['failed']:,.0f}")
            lat = r["latency_us"]
            out.append(f"| {title} | {name} | {fmt(r['calls_per_s'])} | {fmt(per_core(r))} | {fmt(lat['p50'])} | {fmt(lat['p90'])} | {fmt(lat['p99'])} | {fmt(lat['p99_9'])} | {fmt(lat['max'])} | {fmt(r['server_cpu_us_per_call'], 1)} | {fmt(r['generator_cpu_us_per_call'], 1)} | {'; '.join(notes)} |")

    out += ["", "### Ratios", "", "| scenario | ExaiFast / baseline calls/s | ExaiFast / baseline per core | ExaiFast / raw TCP calls/s | ExaiFast / raw TCP per core | p50 µs ExaiFast vs baseline |", "|---|---:|---:|---:|---:|---|"]
    for key, title, contenders, base in SCENARIOS:
        e, b = get(key, contenders[0]), get(key, base)
        if e is None or b is None or key == "idle":
            continue
        t = get(key, "tcp-echo")
        out.append(f"| {title} | {fmt(ratio(e['calls_per_s'], b['calls_per_s']), 2)}× | {fmt(ratio(per_core(e), per_core(b)), 2)}× | "
                   f"{fmt(ratio(e['calls_per_s'], t['calls_per_s']), 2) + '×' if t else '–'} | {fmt(ratio(per_core(e), per_core(t)), 2) + '×' if t else '–'} | "
                   f"{fmt(e['latency_us']['p50'])} vs {fmt(b['latency_us']['p50'])} |")

    out += ["", "### Targets of issue 11", "", "| target | measured | standing |", "|---|---|---|"]
    def target(name, measured, met):
        out.append(f"| {name} | {measured} | {'no data' if met is None else ('**met**' if met else '**not met**')} |")
    def per_core_target(name, key, bar):
        e, b = get(key, "exaifast"), get(key, "kestrel-exai")
        r = ratio(per_core(e), per_core(b)) if e and b else None
        target(name, f"{fmt(r, 2)}× per core (calls/s {fmt(ratio(e['calls_per_s'], b['calls_per_s']), 2) if e and b else '–'}×)", None if r is None else r >= bar)
    def p50_target(name, key):
        e, b = get(key, "exaifast"), get(key, "kestrel-exai")
        target(name, f"{fmt(e['latency_us']['p50'])} vs {fmt(b['latency_us']['p50'])} µs" if e and b else "–", None if not (e and b) else e["latency_us"]["p50"] < b["latency_us"]["p50"])
    per_core_target("call_tool ≥ 1.5× the minimal exai daemon, calls/s per core", "call", 1.5)
    p50_target("call_tool p50 at 1 connection below the minimal exai daemon's", "call-1")
    per_core_target("MCP tools/call over WebSocket ≥ 1.5× the minimal JSON-RPC daemon, per core", "mcp", 1.5)
    p50_target("MCP tools/call p50 at 1 connection below the minimal JSON-RPC daemon's", "mcp-1")
    e, b = get("ping", "exaifast"), get("ping", "kestrel-exai")
    r = ratio(e["calls_per_s"], b["calls_per_s"]) if e and b else None
    target("ping ≥ 2× the minimal exai daemon (msgs/s)", f"{fmt(r, 2)}× (per core {fmt(ratio(per_core(e), per_core(b)), 2) if e and b else '–'}×)", None if r is None else r >= 2)
    e, t = get("echo", "exaifast"), get("echo", "tcp-echo")
    r = ratio(e["calls_per_s"], t["calls_per_s"]) if e and t else None
    target("echo ≥ 0.85× raw TCP echo (msgs/s)", f"{fmt(r, 2)}× (per core {fmt(ratio(per_core(e), per_core(t)), 2) if e and t else '–'}×)", None if r is None else r >= 0.85)
    i = get("idle", "idle-exaifast")
    kib = i.get("rss_kib_per_connection") if i else None
    target("idle WebSocket connections after hello ≤ 4 KiB RSS each", f"{fmt(kib, 2)} KiB ({fmt(i['connections'] if i else None)} connections)", None if kib is None else kib <= 4)
    o, h = get("overload", "exaifast-shipped"), get("open", "exaifast-shipped")
    if o and o["refused"]:
        p99 = o["refused_latency_us"]["p99"]
        target("overload (10×): refusals answered with p99 ≤ 1 ms", f"{p99:,.0f} µs ({o['refused'] / o['elapsed_s']:,.0f} refusals/s)", p99 <= 1000)
    else:
        target("overload (10×): refusals answered with p99 ≤ 1 ms", "no refusal in the run" if o else "–", False if o else None)
    if o and h:
        a, k = o["latency_us"]["p99"], h["latency_us"]["p99"]
        target("overload (10×): accepted calls keep their latency (p99 within 1.5× of the same daemon at 0.5× capacity)", f"p99 {a:,.0f} vs {k:,.0f} µs, p50 {o['latency_us']['p50']:,.0f} vs {h['latency_us']['p50']:,.0f} µs", a <= 1.5 * k)
    else:
        target("overload (10×): accepted calls keep their latency", "–", None)
    out += ["", "Noisy shared VM: compare within this run (ratios), not across runs. The hand-written history follows.", "", END]
    return "\n".join(out)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--line"); p.add_argument("--results"); p.add_argument("--machine", default="?"); p.add_argument("--command", default="?")
    p.add_argument("--pinning", default="?"); p.add_argument("--settings", default="?"); p.add_argument("--write")
    args = p.parse_args()
    if args.line is not None:
        print(line(json.loads(args.line)))
        return
    with open(args.results) as f:
        results = [json.loads(l) for l in f if l.strip()]
    section = build(results, args)
    if not args.write:
        print(section)
        return
    with open(args.write) as f:
        text = f.read()
    if BEGIN.split(" (")[0] in text and END in text:
        start = text.index(BEGIN.split(" (")[0])
        text = text[:start] + section + text[text.index(END) + len(END):]
    else:  # first run: after the title and its paragraph, before the first section
        at = text.find("\n## ")
        text = text[:at + 1] + section + "\n" + text[at:] if at >= 0 else text + "\n" + section + "\n"
    with open(args.write, "w") as f:
        f.write(text)

if __name__ == "__main__":
    main()
