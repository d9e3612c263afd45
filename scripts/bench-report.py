#!/usr/bin/env python3
"""Turns scripts/bench.sh's raw results (one JSON line per run) into the tables of perf/RESULTS.md: medians over
rounds per scenario and contender, the ratios ExaiFast/baseline, and where each target of the call-path redesign stands.
  bench-report.py --results FILE --machine M --command C --pinning P --settings S [--append FILE] [--write perf/RESULTS.md]
  (--append: a markdown section put at the end, e.g. the model path's from scripts/bench-model-path.sh)
  bench-report.py --line JSON      (one run in one line, for bench.sh's progress output)"""
import argparse, datetime, json, statistics, sys

BEGIN, END = "<!-- bench.sh:begin (generated; edit scripts/bench-report.py, not this section) -->", "<!-- bench.sh:end -->"
# The call and MCP scenarios have two baselines: the minimal daemon (kestrel-min: a fixed answer, no tool work), which
# the targets are set against, and the same daemon doing the local model's work (kestrel-exai), the earlier baseline.
CALL = ["exaifast", "kestrel-min", "kestrel-exai"]
SCENARIOS = [  # key, title, contenders in order (the first is ExaiFast), baselines for the ratios (the first is the main one)
    ("echo", "WebSocket echo, 64 connections, 32 B", ["exaifast", "kestrel-echo", "tcp-echo"], ["kestrel-echo"]),
    ("ping", "exai-ws ping → pong, 64 connections", ["exaifast", "kestrel-exai"], ["kestrel-exai"]),
    ("call", "call_tool chat (local model, 0 ms) → ack + result, 64 connections", CALL, CALL[1:]),
    ("call-1", "call_tool, 1 connection", CALL, CALL[1:]),
    ("mcp", "MCP tools/call over WebSocket, 64 connections", CALL, CALL[1:]),
    ("mcp-1", "MCP tools/call over WebSocket, 1 connection", CALL, CALL[1:]),
    ("mcp-http", "MCP tools/call over Streamable HTTP, 64 connections", ["exaifast", "mcp-sdk"], ["mcp-sdk"]),
    ("open", "open loop at 0.5× probed capacity, chat at 10 ms, 64 connections", ["exaifast-shipped", "kestrel-exai"], ["kestrel-exai"]),
    ("overload", "open loop at 10× probed capacity, chat at 10 ms, 64 connections", ["exaifast-shipped", "kestrel-exai"], ["kestrel-exai"]),
    ("cold", "call_tool cold: a fresh daemon's first {secs} s of load from its first call, 64 connections", ["cold-exaifast", "cold-kestrel-min"], ["cold-kestrel-min"]),
    ("idle", "idle connections after hello (fresh daemons)", ["idle-exaifast", "idle-kestrel"], ["idle-kestrel"]),
]
NAMES = {
    "exaifast": "ExaiFast", "exaifast-shipped": "ExaiFast (shipped admission limits)", "idle-exaifast": "ExaiFast",
    "cold-exaifast": "ExaiFast, fresh",
    "kestrel-echo": "stock Kestrel WebSocket echo", "tcp-echo": "raw TCP echo on sockets",
    "kestrel-min": "minimal Kestrel exai daemon (fixed answer, no tool work)",
    "cold-kestrel-min": "minimal Kestrel exai daemon (fixed answer, no tool work), fresh",
    "kestrel-exai": "Kestrel exai daemon doing the local model's work", "idle-kestrel": "minimal Kestrel exai daemon",
    "mcp-sdk": "official MCP C# SDK server (ASP.NET Core, stateless)",
}
MCP_NAMES = {
    "kestrel-min": "minimal Kestrel JSON-RPC daemon (fixed answer, no tool work)",
    "kestrel-exai": "Kestrel JSON-RPC daemon doing the local model's work",
}
# How the p50 target names the two baselines of a call or MCP scenario.
BASELINE_ROLES = {"kestrel-min": "minimal, no tool work", "kestrel-exai": "the local model's work"}

def name(key, contender):
    if key == "ping" and contender == "kestrel-exai":
        return "minimal Kestrel exai daemon"  # a ping does no tool work on either
    if key.startswith("mcp") and contender in MCP_NAMES:
        return MCP_NAMES[contender]
    return NAMES[contender]

def title_of(key, title, get):
    if key != "cold":
        return title
    r = get(key, "cold-exaifast") or get(key, "cold-kestrel-min")
    return title.format(secs=fmt(r["elapsed_s"], 1) if r else "–")

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
            "- Baselines: `perf/KestrelEcho`, `perf/KestrelExai` (an exai daemon and, with subprotocol `mcp`, a JSON-RPC daemon: stock Kestrel, handler inline, JsonDocument in, Utf8JsonWriter out, ack and result as two sends; with `--fixed-answer` the *minimal* daemons, whose result is a constant text of the local answer's length — no tool work — and without it the same daemons doing the local model's work: word count, SHA-256, excerpt), `perf/McpSdkHttpServer`, the raw TCP echo of `exaifast-load tcp-echo-server`.",
            "- Warm and cold: every server runs unmeasured load on each protocol it serves before round 1 (see Runs); the cold rows are fresh daemons, measured from their first call.", ""]
    out += ["| scenario | contender | calls/s | per core | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | server CPU µs/call | generator CPU µs/call | notes |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key, title, contenders, _ in SCENARIOS:
        title = title_of(key, title, get)
        for c in contenders:
            r = get(key, c)
            if r is None:
                continue
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
            out.append(f"| {title} | {name(key, c)} | {fmt(r['calls_per_s'])} | {fmt(per_core(r))} | {fmt(lat['p50'])} | {fmt(lat['p90'])} | {fmt(lat['p99'])} | {fmt(lat['p99_9'])} | {fmt(lat['max'])} | {fmt(r['server_cpu_us_per_call'], 1)} | {fmt(r['generator_cpu_us_per_call'], 1)} | {'; '.join(notes)} |")

    out += ["", "### Ratios", "", "| scenario | baseline | ExaiFast / baseline calls/s | ExaiFast / baseline per core | ExaiFast / raw TCP calls/s | ExaiFast / raw TCP per core | p50 µs ExaiFast vs baseline | p99 µs ExaiFast vs baseline |", "|---|---|---:|---:|---:|---:|---|---|"]
    for key, title, contenders, bases in SCENARIOS:
        if key == "idle":
            continue
        title = title_of(key, title, get)
        for base in bases:
            e, b = get(key, contenders[0]), get(key, base)
            if e is None or b is None:
                continue
            t = get(key, "tcp-echo")
            out.append(f"| {title} | {name(key, base)} | {fmt(ratio(e['calls_per_s'], b['calls_per_s']), 2)}× | {fmt(ratio(per_core(e), per_core(b)), 2)}× | "
                       f"{fmt(ratio(e['calls_per_s'], t['calls_per_s']), 2) + '×' if t else '–'} | {fmt(ratio(per_core(e), per_core(t)), 2) + '×' if t else '–'} | "
                       f"{fmt(e['latency_us']['p50'])} vs {fmt(b['latency_us']['p50'])} | {fmt(e['latency_us']['p99'])} vs {fmt(b['latency_us']['p99'])} |")

    out += ["", "### Targets of the call-path redesign (warm, against the minimal baselines)", "",
            "Throughput targets count calls/s on the pinned server core; per core (CPU-normalised) is shown beside it.", "",
            "| target | measured | standing |", "|---|---|---|"]
    def target(text, measured, met):
        out.append(f"| {text} | {measured} | {'no data' if met is None else ('**met**' if met else '**not met**')} |")
    def shortfall(r, bar):
        return "" if r is None or r >= bar else f" — {r / bar:.0%} of the {bar:g}× asked"
    def throughput_target(text, key, base, bar, p99_too):
        e, b = get(key, "exaifast"), get(key, base)
        if not (e and b):
            target(text, "–", None)
            return
        r = ratio(e["calls_per_s"], b["calls_per_s"])
        ep, bp = e["latency_us"]["p99"], b["latency_us"]["p99"]
        measured = f"{fmt(r, 2)}× calls/s ({fmt(e['calls_per_s'])} vs {fmt(b['calls_per_s'])}/s; per core {fmt(ratio(per_core(e), per_core(b)), 2)}×){shortfall(r, bar)}; p99 {fmt(ep)} vs {fmt(bp)} µs"
        met = r is not None and r >= bar and (not p99_too or ep <= bp)
        target(text, measured, None if r is None else met)
    def p50_target(text, key):
        e = get(key, "exaifast")
        bases = [(c, get(key, c)) for c in ("kestrel-min", "kestrel-exai")]
        bases = [(c, b) for c, b in bases if b]
        if not (e and bases):
            target(text, "–", None)
            return
        ep = e["latency_us"]["p50"]
        measured = f"{fmt(ep)} µs vs " + " and ".join(f"{fmt(b['latency_us']['p50'])} µs ({BASELINE_ROLES[c]})" for c, b in bases)
        target(text, measured, all(ep < b["latency_us"]["p50"] for _, b in bases))
    throughput_target("exai-ws call_tool, 64 connections: ≥ 1.5× the minimal exai daemon, p99 no worse", "call", "kestrel-min", 1.5, True)
    throughput_target("MCP tools/call over WebSocket, 64 connections: ≥ 1.5× the minimal JSON-RPC daemon, p99 no worse", "mcp", "kestrel-min", 1.5, True)
    throughput_target("MCP tools/call over Streamable HTTP, 64 connections: ≥ 5× the official MCP C# SDK server", "mcp-http", "mcp-sdk", 5, False)
    p50_target("exai-ws call_tool at 1 connection: p50 below every baseline's", "call-1")
    p50_target("MCP tools/call over WebSocket at 1 connection: p50 below every baseline's", "mcp-1")
    if args.append:
        with open(args.append) as f:
            out += ["", f.read().strip()]
    out += ["", "Noisy shared VM: compare within this run (ratios), not across runs. The hand-written history follows.", "", END]
    return "\n".join(out)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--line"); p.add_argument("--results"); p.add_argument("--machine", default="?"); p.add_argument("--command", default="?")
    p.add_argument("--pinning", default="?"); p.add_argument("--settings", default="?"); p.add_argument("--write"); p.add_argument("--append")
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
