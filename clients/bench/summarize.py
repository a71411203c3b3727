#!/usr/bin/env python3
"""Summarizes run_suite.sh output: one markdown table row per scenario with
the median of each figure and [min-max] over the runs. With --max-other C,
load runs during which other processes seemed to use more than C cores
(machine_cpu_cores from /proc/stat minus parleyd and the bench: a rough
hint, see bench_report.h) are left out and counted as "excluded". The
scenarios of the per-core targets (backlog, overload, history) get a table
each.

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


def kind_of(r):
    """backlog, history, overload or load (every other parley-bench report)."""
    if r.get("scenario") in ("backlog", "history"):
        return r["scenario"]
    return "overload" if "overload" in r else "load"


def backlog_row(name, runs):
    fails = sum(1 for r in runs if not r["ok"])
    med = lambda key: figure([r[key]["median"] for r in runs if r.get(key)], 1)
    cpu = figure([r["server"]["cpu_s"]["median"] for r in runs if r.get("server", {}).get("cpu_s")], 3)
    return (f"| {name} | {len(runs)} | {runs[0]['messages']} | {runs[0]['cursor']} "
            f"| {sum(r['repeats'] for r in runs)} | {med('welcome_ms')} | {med('synced_ms')} "
            f"| {med('last_message_ms')} | {figure([r['messages_per_s']['median'] for r in runs if r.get('messages_per_s')], 0)} "
            f"| {cpu} | {sum(r['missing'] + r['duplicates'] + r['out_of_order'] for r in runs)} | {fails} |")


def overload_row(name, runs):
    o = [r["overload"] for r in runs]
    fails = sum(1 for r in runs if not r["ok"])
    phases = ",".join(f"{p['rate']:g}:{p['seconds']:g}" for p in o[0]["phases"])
    peak = [max((s["p99_ms"] for s in x["seconds"]), default=None) for x in o]
    return (f"| {name} | {len(runs)} | {phases} | {figure([x['first_overloaded_s'] for x in o], 2)} "
            f"| {figure([x['baseline_p99_ms'] for x in o], 2)} | {figure(peak, 1)} "
            f"| {figure([x['recovered_s'] for x in o], 0)} "
            f"| {sum(1 for x in o if x['recovered_s'] is None)} | {sum(x['overloaded'] for x in o)} "
            f"| {sum(x['acked_undelivered'] + x['refused_delivered'] for x in o)} / {sum(r['duplicates'] for r in runs)} "
            f"| {fails} |")


def history_row(name, runs):
    fails = sum(1 for r in runs if not r["ok"])
    g = lambda key, digits: figure([r[key] for r in runs], digits)
    return (f"| {name} | {len(runs)} | {runs[0]['last_seq']:,} | {runs[0]['requests']} | {runs[0]['limit']} "
            f"| {g('p50_ms', 2)} | {g('p90_ms', 2)} | {g('p99_ms', 2)} | {g('max_ms', 1)} | {g('pages_per_s', 0)} "
            f"| {fails} |")


def print_table(header, rows):
    if rows:
        print(header)
        print("|" + "---|" * header.count(" | ") + "---|")
        print("\n".join(rows))
        print()


def main(out, max_other):
    load_rows, idle_rows, thread_rows = [], [], []
    per_core = {"backlog": [], "overload": [], "history": []}
    for name, runs in load_runs(out):
        kind = kind_of(runs[0])
        if kind != "load":
            per_core[kind].append({"backlog": backlog_row, "overload": overload_row,
                                   "history": history_row}[kind](name, runs))
            continue
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
        print()
    print_table("| scenario | runs | messages | cursor | repetitions | welcome ms | synced ms | last message ms "
                "| msg/s | parleyd CPU s | missing + dup + disorder (sum) | failed runs |", per_core["backlog"])
    print_table("| scenario | runs | phases (msg/s:s) | first overloaded s after the burst | p99 before ms "
                "| peak p99 ms | recovered s after the burst | not recovered | overloaded (sum) "
                "| acked lost / dup (sum) | failed runs |", per_core["overload"])
    print_table("| scenario | runs | chat messages | requests | limit | p50 ms | p90 ms | p99 ms | max ms "
                "| pages/s | failed runs |", per_core["history"])


if __name__ == "__main__":
    args = sys.argv[1:]
    limit = None
    if "--max-other" in args:
        i = args.index("--max-other")
        limit = float(args[i + 1])
        del args[i:i + 2]
    main(args[0] if args else "/tmp/bench-results", limit)
