"""Forward and backward rates of every distinct convolution of resnet32x4 and resnet8x4 (RepDistiller
widths, 3x32x32 inputs, batch 64) in PyTorch, in fp32 and in bf16 autocast, channels-last: which of
the KD benchmark's convolutions run below the machine's convolution rate. For docs/performance.md.

Usage (Debian's python3-torch): /usr/bin/python3 pytorch_conv_rates.py [THREADS] [BATCH]
"""
import sys
import time

import torch


# (input channels, output channels, input size, stride, kernel): each distinct convolution of the pair.
SHAPES = [(3, 32, 32, 1, 3), (32, 64, 32, 1, 3), (64, 64, 32, 1, 3), (32, 64, 32, 1, 1),
          (64, 128, 32, 2, 3), (64, 128, 32, 2, 1), (128, 128, 16, 1, 3),
          (128, 256, 16, 2, 3), (128, 256, 16, 2, 1), (256, 256, 8, 1, 3)]


def best_seconds(work, repeats=10):
    for _ in range(3):
        work()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print("%-26s %-5s %9s %9s %9s %9s" % ("in, out, size, stride, k", "", "fwd ms", "GFLOP/s", "bwd ms", "GFLOP/s"))
    for cin, cout, size, stride, kernel in SHAPES:
        conv = torch.nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False).to(memory_format=torch.channels_last)
        # The images need no gradient; every later map does (its convolution computes both gradients).
        x = torch.randn(batch, cin, size, size).contiguous(memory_format=torch.channels_last).requires_grad_(cin != 3)
        out = size // stride
        flops = 2.0 * batch * cout * out * out * cin * kernel * kernel
        backward_flops = flops * (2 if cin != 3 else 1)
        for precision in ["fp32", "bf16"]:
            def forward():
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    return conv(x)
            gradient = torch.randn_like(forward())
            with torch.no_grad():
                fwd = best_seconds(forward)

            def timed_backward():
                output = forward()
                start = time.perf_counter()
                output.backward(gradient)
                return time.perf_counter() - start
            for _ in range(3):
                timed_backward()
            bwd = min(timed_backward() for _ in range(10))
            print("%-26s %-5s %9.2f %9.0f %9.2f %9.0f" % (
                "%d, %d, %d, %d, %d" % (cin, cout, size, stride, kernel), precision, fwd * 1e3, flops / fwd / 1e9,
                bwd * 1e3, backward_flops / bwd / 1e9), flush=True)


if __name__ == "__main__":
    main()
