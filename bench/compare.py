#!/usr/bin/env python3
"""compare: runs kiln_bench and torch_bench.py workload by workload and prints a Markdown table (docs/performance.md).

    python3 bench/compare.py [--rounds 3] [--threads 1,2] [--filter REGEX] [--skip-epoch] [--out FILE.md]
                             [--build-dir DIR] [--python /usr/bin/python3]

First machine_limits for each thread count; then, for each round, each workload and each thread count, kiln then
torch, each in its own process (A B A B interleaved, so that a slow spell of the machine hits both). The epoch
workload runs in round 1 only. Each cell is the median over rounds of the runs' median_s; peak RSS is the largest
over rounds. Standard library only.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPOCH = "epoch_demo_cnn/fashion_mnist"

# Bytes that must move per element of the workload's input tensor (float32), for the bandwidth bound
# bytes / triad_dram_gbs:
# - BN training forward: read x twice (statistics pass, normalize pass) + write y = 12.
# - BN inference forward: read x + write y = 8.
# - BN training forward + backward: the forward's 12, then the backward reads x and dy twice (a reduction pass for
#   the sums of dy and dy*x_hat, an output pass) and writes dx: 12 + 20 = 32.
# - max pool 2x2 forward + backward: forward reads x (4) and writes y and its int32 argmax, a quarter as many
#   elements (1 + 1); backward reads dy and the argmax (1 + 1) and writes dx (4): 12. (torch keeps int64 indices,
#   so it moves 2 bytes more per element; the bound counts the smaller.)
# - ReLU forward + backward: read x, write y (8); read dy and x (or y), write dx (12): 20. A 1-bit mask instead of
#   x would make it 16.1; neither framework keeps one.
# Per-channel vectors (gamma, beta, statistics) are negligible and not counted.
BYTES_PER_ELEMENT = {"bn_train_fwd/": 12, "bn_infer_fwd/": 8, "bn_train_fwdbwd/": 32, "maxpool_fwdbwd/": 12,
                     "relu_fwdbwd/": 20}


def conv3x3_flops(n, ho, wo, cin, cout):
    return 2 * n * ho * wo * cout * 9 * cin


# FLOPs of the matrix workloads, for the compute bound FLOPs / sgemm_gflops. A backward pass costs two forwards
# (input gradient and kernel gradient), so fwd+bwd is 3x; the first conv layer has no input gradient: 2x.
FLOPS = {
    "conv_fwd/3x3_32to64_64x32x32": conv3x3_flops(64, 32, 32, 32, 64),
    "conv_fwdbwd/3x3_32to64_64x32x32": 3 * conv3x3_flops(64, 32, 32, 32, 64),
    "conv_fwdbwd/3x3_32to64_s2_64x32x32": 3 * conv3x3_flops(64, 16, 16, 32, 64),
    "conv_fwdbwd/3x3_1to32_64x28x28": 2 * conv3x3_flops(64, 28, 28, 1, 32),
    "dense_fwd/1024to1024_b512": 2 * 512 * 1024 * 1024,
    "dense_fwdbwd/1024to1024_b512": 3 * 2 * 512 * 1024 * 1024,
}


def elements(workload):
    """Elements of the input tensor, from the last '_'-separated size in the name ("nhwc_64x32x32x64")."""
    return math.prod(int(d) for d in workload.split("/")[1].split("_")[-1].split("x"))


def bound_seconds(workload, limits):
    """The machine's lower bound on the workload's time, or None when it has none here."""
    for prefix, per_element in BYTES_PER_ELEMENT.items():
        if workload.startswith(prefix):
            return per_element * elements(workload) / (limits["triad_dram_gbs"] * 1e9)
    if workload in FLOPS:
        return FLOPS[workload] / (limits["sgemm_gflops"] * 1e9)
    return None


def run_json(cmd):
    """The last stdout line of `cmd` as JSON, or None (with the error shown) when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"compare: {' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def torch_available(python):
    proc = subprocess.run([python, "-c", "import torch, numpy"], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"compare: {python} cannot import torch/numpy; install the Debian packages python3-torch and "
              "python3-numpy (bash scripts/setup.sh --bench). The torch column stays empty.", file=sys.stderr)
    return proc.returncode == 0


def fmt(value, spec):
    return "" if value is None else format(value, spec)


def machine_line():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return (f"{model}, {os.cpu_count()} cores, {platform.platform()}; kiln {commit or '?'}; "
            f"{datetime.datetime.now().isoformat(timespec='minutes')}")


def table(rows, limits, torch_ok):
    out = ["| workload | threads | kiln ms | torch ms | kiln/torch | peak RSS kiln/torch MB | vs limit |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for (workload, threads), runs in rows.items():
        k = statistics.median(r["median_s"] for r in runs["kiln"]) if runs["kiln"] else None
        t = statistics.median(r["median_s"] for r in runs["torch"]) if runs["torch"] else None
        rss_k = max((r["peak_rss_mb"] for r in runs["kiln"]), default=None)
        rss_t = max((r["peak_rss_mb"] for r in runs["torch"]), default=None)
        bound = bound_seconds(workload, limits[threads]) if threads in limits else None
        ratio = k / t if k is not None and t else None
        rss = f"{fmt(rss_k, '.0f')} / {fmt(rss_t, '.0f') if torch_ok else 'n/a'}"
        out.append(f"| {workload} | {threads} | {fmt(k and k * 1e3, '.4g')} | "
                   f"{fmt(t and t * 1e3, '.4g') if torch_ok else 'n/a'} | {fmt(ratio, '.2f')} | {rss} | "
                   f"{fmt(k / bound if k and bound else None, '.2f')} |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--filter", default="", help="only workloads matching this regular expression (re.search)")
    ap.add_argument("--skip-epoch", action="store_true", help=f"leave out {EPOCH}")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "release"))
    ap.add_argument("--python", default="/usr/bin/python3", help="the Python that has torch")
    args = ap.parse_args()
    thread_counts = [int(n) for n in args.threads.split(",")]
    kiln_bench = os.path.join(args.build_dir, "bench", "kiln_bench")
    torch_bench = [args.python, os.path.join(REPO, "bench", "torch_bench.py")]
    torch_ok = torch_available(args.python)

    limits = {}
    for n in thread_counts:
        limits[n] = run_json([os.path.join(args.build_dir, "bench", "machine_limits"), "--threads", str(n)])
        print(f"machine_limits: {json.dumps(limits[n])}", file=sys.stderr)
    limits = {n: v for n, v in limits.items() if v}

    names = subprocess.run([kiln_bench, "--list"], capture_output=True, text=True, check=True).stdout.split()
    names = [w for w in names if re.search(args.filter, w) and not (args.skip_epoch and w == EPOCH)]
    rows = {(w, n): {"kiln": [], "torch": []} for w in names for n in thread_counts}
    for r in range(1, args.rounds + 1):
        for w in names:
            if w == EPOCH and r > 1:
                continue
            for n in thread_counts:
                cmds = {"kiln": [kiln_bench, w, "--threads", str(n)]}
                if torch_ok:
                    cmds["torch"] = torch_bench + [w, "--threads", str(n)]
                for framework, cmd in cmds.items():
                    result = run_json(cmd)
                    if result:
                        rows[(w, n)][framework].append(result)
                        print(f"round {r}: {framework:5} {w} x{n}: {result['median_s'] * 1e3:.4g} ms",
                              file=sys.stderr)

    lines = [f"Machine: {machine_line()}", "",
             "| threads | triad DRAM GB/s | triad 48 MiB GB/s | sgemm GFLOP/s | OpenBLAS kernel |",
             "|---:|---:|---:|---:|---|"]
    lines += [f"| {n} | {v['triad_dram_gbs']:.1f} | {v['triad_48mib_gbs']:.1f} | {v['sgemm_gflops']:.0f} | "
              f"{v.get('blas_kernel', '?')} |" for n, v in limits.items()]
    lines += ["", f"{args.rounds} round(s); each cell the median over rounds of each run's median.", ""]
    lines += table(rows, limits, torch_ok)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
