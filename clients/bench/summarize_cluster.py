#!/usr/bin/env python3
"""Summarizes run_cluster.sh output (OUTDIR/<label>-<scenario>.jsonl, label
"single" or "cluster<N>"): per label and scenario, the median over the runs
of the throughput, latencies, the CPU of each process kind (--sample-pid)
and the CPU microseconds per delivered message, each kind apart and in all.

    clients/bench/summarize_cluster.py /tmp/cluster-results
"""
import sys

from bench_runs import figure, load_runs

KINDS = [("parleyd", "parleyd"), ("redis-server", "redis"), ("mariadbd", "mariadbd"), ("java", "zookeeper")]


def med(values, digits=1):
    return figure(values, digits, thousands=True)


def main():
    rows = []
    for name, runs in load_runs(sys.argv[1]):
        label, _, scenario = name.partition("-")
        rows.append((label, scenario, runs))
    order = {"single": 0}
    rows.sort(key=lambda r: (r[1], order.get(r[0], 1), r[0]))
    head = ["setup", "scenario", "runs", "delivered/s", "lost/dup", "p50 ms", "p99 ms", "ack p50 ms"]
    head += [f"{name} cores" for _, name in KINDS] + ["all cores", "bench cores"]
    head += [f"{name} µs/delivery" for _, name in KINDS] + ["all µs/delivery"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, scenario, runs in rows:
        def kind_cores(r, kind):
            return r.get("processes_cpu_cores", {}).get(kind, 0.0)

        def per_delivery(r, cores):
            return cores / r["delivered_per_s"] * 1e6 if r["delivered_per_s"] > 0 else None

        cells = [label, scenario, str(len(runs)), med([r["delivered_per_s"] for r in runs], 0),
                 f'{sum(r["lost"] for r in runs)} / {sum(r["duplicates"] for r in runs)}',
                 med([r["latency_ms"]["p50"] for r in runs], 2), med([r["latency_ms"]["p99"] for r in runs], 2),
                 med([r["ack_latency_ms"]["p50"] for r in runs], 2)]
        for kind, _ in KINDS:
            cells.append(med([kind_cores(r, kind) for r in runs], 2) if label != "single" or kind == "parleyd" else "–")
        cells.append(med([sum(r.get("processes_cpu_cores", {}).values()) for r in runs], 2))
        cells.append(med([r["bench_cpu_cores"] for r in runs], 2))
        for kind, _ in KINDS:
            if label == "single" and kind != "parleyd":
                cells.append("–")
            else:
                cells.append(med([per_delivery(r, kind_cores(r, kind)) for r in runs], 1))
        cells.append(med([per_delivery(r, sum(r.get("processes_cpu_cores", {}).values())) for r in runs], 1))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
