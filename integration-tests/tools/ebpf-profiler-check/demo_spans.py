#!/usr/bin/env python3
"""Lists the spans of the Weft demo's OTLP/JSON lines file (-Dweft.demo.output), for
ebpf-profiler-check.sh --demo-jar: one line per span, "jspan <trace_id> <span_id> <scope>"."""
import json
import sys

if len(sys.argv) != 2:
    sys.exit("usage: demo_spans.py TRACES.jsonl")
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            request = json.loads(line)
        except ValueError as e:
            sys.exit(f"demo_spans.py: {sys.argv[1]}:{n}: not JSON: {e}")
        for rs in request.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                scope = ss.get("scope", {}).get("name", "") or "-"
                for span in ss.get("spans", []):
                    print("jspan", span["traceId"].lower(), span["spanId"].lower(), scope)
