#!/usr/bin/env python3
"""Splits a daemon's perf samples by the part of the call path each was in, as CPU per call.

Usage: profile-parts.py STACKS [LOAD_JSON] [MODE]
STACKS is `perf script -F comm,tid,ip,sym,dso` output with call graphs; LOAD_JSON the generator's --format json
result (for the server's CPU per call). A sample belongs to the innermost frame, from the leaf up, that names a part:
time in the kernel or the runtime on behalf of a part (a send, an allocation) counts for that part; samples with no
such frame are 'kernel, no managed frame' (interrupts, network softirqs) or 'runtime, no managed frame' (GC, JIT).
"""
import collections
import json
import sys

# (part, substring of a frame), first match from the leaf wins; order matters where frames nest.
PARTS = [
    ("thread store", "Threads.MemoryThreadStore"), ("thread store", "Threads.Conversation"),
    ("thread store", "Threads.ThreadIds"), ("thread store", "Guid::NewGuid"),
    ("local model", "Models.Local"), ("model routing and fallback", "FallbackChain"),
    ("model routing and fallback", "ModelAsk"), ("model routing and fallback", "ProviderRegistry"),
    ("result and ack JSON", "ExaiWsFrames"), ("result and ack JSON", "JsonFrame::Build"), ("result and ack JSON", "McpMessages"),
    ("tool validation", "ToolBase::Validate"), ("tool validation", "ValidateOwn"), ("tool run", "Tools.Tools."),
    ("tool run", "Tools.Workflows"), ("dispatcher: admission, call table, slots, answer", "Dispatch."),
    ("dispatcher: admission, call table, slots, answer", "Core.Calls."),
    ("front door: parse, route, submit", "ExaiWs."), ("front door: parse, route, submit", "Server.Mcp."),
    ("writer: frames and sends", "WebSocketWriter"), ("writer: frames and sends", "WriteLoopAsync"),
    ("writer: frames and sends", "BoundedChannelWriter"), ("writer: frames and sends", "Http1Output"),
    ("reader: frames, HTTP, messages", "Server.WebSockets"), ("reader: frames, HTTP, messages", "Server.Http"),
    ("reader: frames, HTTP, messages", "Server.Connections"), ("reader: frames, HTTP, messages", "ExaiFast.Wire"),
    ("sockets and pipes", "System.IO.Pipelines"), ("sockets and pipes", "System.Net.Sockets"),
    ("timers", "TimerQueue"),
]


def samples(path):
    stack = []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if stack:
                    yield stack
                stack = []
            elif line[0] in " \t":
                stack.append(line.strip())
            elif stack:
                yield stack
                stack = []
    if stack:
        yield stack


def part_of(stack):
    for frame in stack:
        for part, needle in PARTS:
            if needle in frame:
                return part
    leaf = stack[0]
    if "kernel" in leaf:
        return "kernel, no managed frame"
    if "libcoreclr" in leaf or "libclrjit" in leaf:
        return "runtime, no managed frame"
    return "other"


def main():
    counts = collections.Counter(part_of(s) for s in samples(sys.argv[1]))
    total = sum(counts.values())
    cpu = None
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            result = json.load(f)
        cpu = result.get("server_cpu_us_per_call")
        print(f"{result['mode']}: {result['calls_per_s']:,.0f} calls/s, server CPU {cpu} µs per call, {total} samples")
    print("| part of the call | µs per call | share |")
    print("|---|---:|---:|")
    for part, n in counts.most_common():
        share = n / total
        print(f"| {part} | {share * cpu:.1f} | {100 * share:.1f}% |" if cpu else f"| {part} | – | {100 * share:.1f}% |")


if __name__ == "__main__":
    main()
