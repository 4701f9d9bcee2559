#!/usr/bin/python3
"""torch_bench: the PyTorch twin of bench/kiln_bench.cpp (docs/performance.md).

    /usr/bin/python3 bench/torch_bench.py --list
    /usr/bin/python3 bench/torch_bench.py WORKLOAD [--threads N] [--min-seconds S] [--min-reps R]

The same workload names, the same protocol (2 warm-up runs, then repetitions until at least R runs and S seconds,
median and minimum, one process per workload for ru_maxrss) and the same JSON line with "framework":"torch".
Keras conventions are translated: BatchNormalization momentum 0.99 is torch momentum 0.01, epsilon 1e-3; NHWC
workloads use torch.channels_last for input, module and dy, NCHW ones contiguous tensors. Needs Debian's
python3-torch (1.13) and python3-numpy.
"""
import ctypes
import gzip
import json
import os
import resource
import statistics
import sys
import time

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # dpkg -L dataset-fashion-mnist


def configure_openblas(threads):
    """OpenBLAS (Debian torch's BLAS for Linear/matmul) on `threads` threads and on the kernels kiln picks.

    torch.set_num_threads does not reach OpenBLAS's own pthread pool, so it is set here. And as kiln does for
    itself (kiln/core/blas_kernel.cpp): when OpenBLAS 0.3.21 does not know this processor it falls back to its
    SSE3 "Prescott" kernels (about half the speed); unless the user set OPENBLAS_CORETYPE, select the family the
    CPU features support, so that both frameworks run the same sgemm kernels."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0", mode=ctypes.RTLD_GLOBAL)
    except OSError:
        return
    lib.openblas_get_corename.restype = ctypes.c_char_p
    if "OPENBLAS_CORETYPE" not in os.environ and lib.openblas_get_corename() == b"Prescott":
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
        kernel = None
        if all(x in flags for x in ("avx512f", "avx512bw", "avx512dq", "avx512vl")):
            kernel = "SkylakeX"
        elif "avx2" in flags and "fma" in flags:
            kernel = "Haswell"
        if kernel:
            os.environ["OPENBLAS_CORETYPE"] = kernel
            lib.gotoblas_dynamic_quit()
            lib.gotoblas_dynamic_init()
            del os.environ["OPENBLAS_CORETYPE"]
    lib.openblas_set_num_threads(threads)


def import_torch():
    try:
        import torch  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"torch_bench: cannot import torch or numpy ({e}); install the Debian packages python3-torch and "
              "python3-numpy (bash scripts/setup.sh --bench)", file=sys.stderr)
        sys.exit(2)
    return torch


# Filled by main() once torch is imported; the workload functions below use these modules.
torch = nn = None


def normal(shape, seed, channels_last=False):
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(*shape, generator=g)
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def nchw(n, h, w, c):
    """kiln's NHWC sizes as torch's NCHW shape."""
    return (n, c, h, w)


def forward(module, x, training):
    """A module call without autograd (kiln: no tape); train mode updates BatchNorm's running statistics."""
    module.train(training)

    def body():
        with torch.no_grad():
            module(x)
    return body


def forward_backward(module, x, input_grad, channels_last=False):
    """Train-mode forward, then y.backward(dy) with a fixed random dy: gradients of x (when input_grad) and of
    every parameter, set to None before each repetition."""
    module.train(True)
    x.requires_grad_(input_grad)
    with torch.no_grad():
        out_shape = module(x).shape
    dy = normal(out_shape, 7, channels_last and len(out_shape) == 4)

    def body():
        x.grad = None
        for p in module.parameters():
            p.grad = None
        module(x).backward(dy)
    return body


def batch_norm(shape, channels_last):
    """Keras BatchNormalization defaults: momentum 0.99 (torch 0.01), epsilon 1e-3."""
    cls = nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d
    channels = shape[1]
    module = cls(channels, eps=1e-3, momentum=0.01)
    return module.to(memory_format=torch.channels_last) if channels_last else module


def conv(cin, cout, stride):
    """Conv2d 3x3, no bias, TF/Keras 'same' padding. Stride 1: padding=1. Stride 2 on an even size: 'same' pads
    0 before and 1 after (TF puts the odd padding after), which Conv2d's symmetric padding cannot express, so
    F.pad(x, (0, 1, 0, 1)) (nn.ZeroPad2d, which keeps channels_last) then padding=0."""
    if stride == 1:
        module = nn.Conv2d(cin, cout, 3, bias=False, padding=1)
    else:
        module = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(cin, cout, 3, stride=stride, bias=False))
    return module.to(memory_format=torch.channels_last)


def demo_cnn():
    """apps/fashion_mnist/model.cpp's network without its augmentation layer (its BatchNormalization momentum 0.9
    is torch's 0.1), channels_last."""
    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), bn(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), bn(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128, bias=False),
        nn.BatchNorm1d(128, eps=1e-3, momentum=0.1), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, 10)).to(memory_format=torch.channels_last)


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01), nn.ReLU(),
                         nn.Linear(256, 10))


def random_labels(n, seed):
    return torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(seed))


class Trainer:
    """One train step as a torch user writes it: zero_grad, forward, loss, backward, step (Adam 1e-3)."""

    def __init__(self, model):
        self.model = model.train()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.loss = nn.CrossEntropyLoss()

    def step(self, x, y):
        self.optimizer.zero_grad(set_to_none=True)
        self.loss(self.model(x), y).backward()
        self.optimizer.step()


def train_step(model, x):
    trainer, y = Trainer(model), random_labels(x.shape[0], 11)
    return lambda: trainer.step(x, y)


def read_idx_gz(path, header_bytes):
    import numpy as np
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def epoch():
    """One epoch over the 60,000 training images, batch 64, shuffled, normalized as kiln's load_fashion_mnist
    (pixels / 255 as float32); loading is outside the timed region."""
    images = read_idx_gz(os.path.join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"), 16)
    labels = read_idx_gz(os.path.join(FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"), 8)
    x_all = torch.from_numpy(images.astype("float32") / 255.0).reshape(-1, 28, 28, 1).permute(0, 3, 1, 2)
    y_all = torch.from_numpy(labels.astype("int64"))
    trainer = Trainer(demo_cnn())

    def body():
        order = torch.randperm(x_all.shape[0])
        for start in range(0, x_all.shape[0], 64):
            idx = order[start:start + 64]
            trainer.step(x_all[idx].contiguous(memory_format=torch.channels_last), y_all[idx])
    return body


def add_loop(requires_grad):
    """10000 torch.add of two 2-element tensors per repetition (a requires grad or not); timed per op."""
    a, b = normal((2,), 1).requires_grad_(requires_grad), normal((2,), 2)

    def body():
        for _ in range(10000):
            torch.add(a, b)
    return body, 10000


BN_SHAPES = [  # name, torch shape, channels_last
    ("nhwc_64x32x32x64", nchw(64, 32, 32, 64), True), ("nhwc_128x32x32x64", nchw(128, 32, 32, 64), True),
    ("nhwc_256x8x8x256", nchw(256, 8, 8, 256), True), ("nchw_64x64x32x32", (64, 64, 32, 32), False),
    ("nchw_128x64x32x32", (128, 64, 32, 32), False), ("nchw_256x256x8x8", (256, 256, 8, 8), False),
    ("2d_4096x1024", (4096, 1024), False),
]
CONV_CASES = [  # name, torch input shape, filters, stride, input gradient
    ("3x3_32to64_64x32x32", nchw(64, 32, 32, 32), 64, 1, True),
    ("3x3_32to64_s2_64x32x32", nchw(64, 32, 32, 32), 64, 2, True),
    ("3x3_1to32_64x28x28", nchw(64, 28, 28, 1), 32, 1, False),
]


def workloads():
    """name -> (setup, single_shot), in kiln_bench's order; setup returns the body, or (body, ops per rep). Torch is
    needed only to run a setup, not to list the names."""
    w = {}
    for name, shape, cl in BN_SHAPES:
        w["bn_train_fwd/" + name] = lambda s=shape, c=cl: forward(batch_norm(s, c), normal(s, 1, c), True)
        w["bn_infer_fwd/" + name] = lambda s=shape, c=cl: forward(batch_norm(s, c), normal(s, 1, c), False)
        w["bn_train_fwdbwd/" + name] = lambda s=shape, c=cl: forward_backward(batch_norm(s, c), normal(s, 1, c),
                                                                              True, c)
    name, shape, filters, stride, _ = CONV_CASES[0]
    w["conv_fwd/" + name] = lambda s=shape, f=filters, st=stride: forward(conv(s[1], f, st), normal(s, 1, True),
                                                                          False)
    for name, shape, filters, stride, grad in CONV_CASES:
        w["conv_fwdbwd/" + name] = lambda s=shape, f=filters, st=stride, g=grad: forward_backward(
            conv(s[1], f, st), normal(s, 1, True), g, True)
    image_batch = nchw(64, 28, 28, 32)
    w["maxpool_fwdbwd/2x2_64x28x28x32"] = lambda: forward_backward(nn.MaxPool2d(2), normal(image_batch, 1, True),
                                                                   True, True)
    w["relu_fwdbwd/64x28x28x32"] = lambda: forward_backward(nn.ReLU(), normal(image_batch, 1, True), True, True)
    w["dense_fwd/1024to1024_b512"] = lambda: forward(nn.Linear(1024, 1024), normal((512, 1024), 1), False)
    w["dense_fwdbwd/1024to1024_b512"] = lambda: forward_backward(nn.Linear(1024, 1024), normal((512, 1024), 1),
                                                                 True)
    w["step_demo_cnn/b64"] = lambda: train_step(demo_cnn(), torch.rand(
        64, 1, 28, 28, generator=torch.Generator().manual_seed(1)).contiguous(memory_format=torch.channels_last))
    w["step_mlp/b128"] = lambda: train_step(mlp(), normal((128, 784), 1))
    w = {k: (v, False) for k, v in w.items()}
    w["epoch_demo_cnn/fashion_mnist"] = (epoch, True)
    w["add/2_notape"] = (lambda: add_loop(False), False)
    w["add/2_tape"] = (lambda: add_loop(True), False)
    return w


def seconds_of(body):
    start = time.perf_counter()
    body()
    return time.perf_counter() - start


def usage():
    print("usage: torch_bench.py --list | WORKLOAD [--threads N] [--min-seconds S] [--min-reps R]", file=sys.stderr)
    return 2


def main(argv):
    all_workloads = workloads()
    if argv == ["--list"]:
        print("\n".join(all_workloads))
        return 0
    if not argv or len(argv) % 2 != 1:
        return usage()
    name, opts = argv[0], {"--threads": "1", "--min-seconds": "1.0", "--min-reps": "5"}
    for flag, value in zip(argv[1::2], argv[2::2]):
        if flag not in opts:
            return usage()
        opts[flag] = value
    threads, min_seconds, min_reps = int(opts["--threads"]), float(opts["--min-seconds"]), int(opts["--min-reps"])
    if name not in all_workloads:
        print(f"torch_bench: unknown workload '{name}' (see --list)", file=sys.stderr)
        return 2

    configure_openblas(threads)  # before torch loads OpenBLAS's users
    global torch, nn
    torch = import_torch()
    nn = torch.nn
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(42)

    setup, single_shot = all_workloads[name]
    made = setup()
    body, ops = made if isinstance(made, tuple) else (made, 1)
    times = []
    if single_shot:
        times.append(seconds_of(body))
    else:
        for _ in range(2):
            body()
        while len(times) < min_reps or sum(times) < min_seconds:
            times.append(seconds_of(body))
    times = [t / ops for t in times]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(json.dumps({"framework": "torch", "workload": name, "threads": threads,
                      "median_s": statistics.median(times), "min_s": min(times), "reps": len(times),
                      "peak_rss_mb": round(peak_mb, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
