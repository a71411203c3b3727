#!/usr/bin/env python3
"""Summarizes run_suite.sh output: one markdown table row per scenario with
the median of each figure and [min-max] over the runs. With --max-other C,
load runs during which other processes seemed to use more than C cores
(machine_cpu_cores from /proc/stat minus parleyd and the bench: a rough
hint, see bench_report.h) are left out and counted as "excluded".

    clients/bench/summarize.py /tmp/bench-results [--max-other 0.3]
"""
import sys

from bench_runs import figure, load_runs


def other_cores(r):
    return r["machine_cpu_cores"] - r["bench_cpu_cores"] - r.get("server", {}).get("cpu_cores", 0)


def order_key(name):
    """direct-1k < direct-5k < direct-10k < group50-200 < group50-500 ..."""
    head, _, tail = name.rpartition("-")
    digits = tail.rstrip("k")
    number = float(digits) * (1000 if tail.endswith("k") else 1) if digits.replace(".", "").isdigit() else 0
    return (head, number)


def thread_roles(r):
    """parleyd's threads by role, for the default --threads 2: the main thread
    (pid) is an I/O thread; the commit thread is created just before the
    second I/O thread, so of the two busiest other threads named like the
    main thread (the executable's name), the
    newer (higher tid) is I/O and the older is the commit thread."""
    server = r.get("server", {})
    pid = server.get("pid")
    threads = server.get("threads", [])
    roles = {"io_main": 0.0, "io_2": 0.0, "commit": 0.0, "rocksdb": 0.0}
    name = next((t["name"] for t in threads if t["tid"] == pid), "parleyd")  # the executable's name
    others = [t for t in threads if t["name"] == name and t["tid"] != pid][:2]
    others.sort(key=lambda t: t["tid"])
    for t in threads:
        if t["tid"] == pid:
            roles["io_main"] = t["cores"]
        elif t["name"].startswith("rocksdb"):
            roles["rocksdb"] += t["cores"]
    if len(others) == 2:
        roles["commit"], roles["io_2"] = others[0]["cores"], others[1]["cores"]
    return roles


def main(out, max_other):
    load_rows, idle_rows, thread_rows = [], [], []
    for name, runs in load_runs(out):
        excluded = 0
        if max_other is not None and not runs[0]["connections_only"]:
            kept = [r for r in runs if other_cores(r) <= max_other]
            excluded = len(runs) - len(kept)
            runs = kept
            if not runs:
                load_rows.append((name, f"| {name} | 0 (excluded {excluded}) |"))
                continue
        fails = sum(1 for r in runs if not r["ok"] or r["connections_dropped"] or r["connect_failures"])
        if runs[0]["connections_only"]:
            idle_rows.append(
                f"| {name} | {len(runs)} | {runs[0]['idle_connections']} "
                f"| {figure([r['server']['rss_before_idle_kib'] / 1024 for r in runs])} "
                f"| {figure([r['server']['rss_after_idle_kib'] / 1024 for r in runs])} "
                f"| {figure([r['server']['idle_bytes_per_connection'] for r in runs], 0)} "
                f"| {figure([r['setup_s']['idle_connect'] for r in runs], 2)} | {fails} |")
            continue
        g = lambda key: [r[key] for r in runs]
        lat = lambda key, q: [r[key][q] for r in runs]
        roles = [thread_roles(r) for r in runs]
        thread_rows.append((name,
            f"| {name} | {figure([x['commit'] for x in roles], 2)} | {figure([x['io_main'] for x in roles], 2)} "
            f"| {figure([x['io_2'] for x in roles], 2)} | {figure([x['rocksdb'] for x in roles], 2)} "
            f"| {figure([r['server']['cpu_cores'] for r in runs], 2)} | {figure(g('bench_cpu_cores'), 2)} "
            f"| {figure([r['delivered_per_s'] / r['server']['cpu_cores'] for r in runs], 0)} |"))
        load_rows.append((name,
            f"| {name} | {len(runs)}{f' (excluded {excluded})' if excluded else ''} | {runs[0]['mode']} | {runs[0]['users']} | {runs[0]['rate_target']:.0f} "
            f"| {figure(g('send_rate'), 0)} | {figure(g('delivered_per_s'), 0)} "
            f"| {sum(g('lost'))} / {sum(g('duplicates'))} | {sum(g('errors'))} "
            f"| {figure(lat('latency_ms', 'p50'), 2)} | {figure(lat('latency_ms', 'p99'), 2)} "
            f"| {figure(lat('latency_ms', 'p999'), 2)} | {figure(lat('latency_ms', 'max'), 1)} "
            f"| {figure(lat('ack_latency_ms', 'p50'), 2)} | {figure(lat('ack_latency_ms', 'p99'), 2)} "
            f"| {figure([r['server']['cpu_cores'] for r in runs], 2)} | {figure(g('bench_cpu_cores'), 2)} "
            f"| {fails} |"))
    if load_rows:
        load_rows.sort(key=lambda row: order_key(row[0]))
        print("| scenario | runs | mode | users | target msg/s | sent msg/s | delivered/s | lost / dup (sum) "
              "| errors (sum) | p50 ms | p99 ms | p999 ms | max ms | ack p50 ms | ack p99 ms "
              "| parleyd cores | bench cores | failed runs |")
        print("|" + "---|" * 18)
        print("\n".join(row for _, row in load_rows))
        print()
        thread_rows.sort(key=lambda row: order_key(row[0]))
        print("| scenario | commit thread | I/O thread (main) | I/O thread 2 | rocksdb threads | parleyd total "
              "| bench | deliveries per parleyd core-second |")
        print("|" + "---|" * 8)
        print("\n".join(row for _, row in thread_rows))
        print()
    if idle_rows:
        print("| scenario | runs | idle connections | RSS before MiB | RSS after MiB | bytes per idle connection "
              "| open time s | failed runs |")
        print("|" + "---|" * 8)
        print("\n".join(idle_rows))


if __name__ == "__main__":
    args = sys.argv[1:]
    limit = None
    if "--max-other" in args:
        i = args.index("--max-other")
        limit = float(args[i + 1])
        del args[i:i + 2]
    main(args[0] if args else "/tmp/bench-results", limit)
