#!/usr/bin/env python3
"""How much of a KD step on a GPU is launch overhead: the loop of pytorch_kd_loop.py run eagerly
against the same step captured once in a CUDA graph and replayed (torch.cuda.graph), on one GPU.

    python3 tests/benchmarks/pytorch_kd_cuda_graph.py [BATCH ...]      (default: 64 256)

For each batch size and precision (fp32; bf16 autocast with channels-last) it prints the images/s of
both, each the better of two runs of 100 timed steps after 25 warm-up ones. Needs a CUDA build of torch.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_kd_loop import kd_loss, kd_setup  # noqa: E402  (RepDistiller's resnet32x4 and resnet8x4, KD)


def images_per_second(precision, batch, graphed, steps=100, warmup=15):
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    teacher, student, optimizer, images, labels = kd_setup(batch, precision, device)

    def step():
        # A captured graph replays fixed kernels: autocast's cast cache must be off while capturing.
        kd_loss(teacher, student, images, labels, precision, device, cache_enabled=not graphed).backward()
        optimizer.step()

    # Warm-up on a side stream, as capture requires (cuDNN's algorithm search, the momentum buffers).
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(warmup):
            optimizer.zero_grad(set_to_none=False)
            step()
    torch.cuda.current_stream().wait_stream(side)
    if graphed:
        graph = torch.cuda.CUDAGraph()
        optimizer.zero_grad(set_to_none=False)
        with torch.cuda.graph(graph):
            step()
        run = graph.replay
    else:
        run = step
    for _ in range(10):
        optimizer.zero_grad(set_to_none=False)
        run()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        run()
    torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main():
    batches = [int(a) for a in sys.argv[1:]] or [64, 256]
    print("torch", torch.__version__, "on", torch.cuda.get_device_name(), flush=True)
    for batch in batches:
        for precision in ("fp32", "bf16"):
            eager = max(images_per_second(precision, batch, False) for _ in range(2))
            graphed = max(images_per_second(precision, batch, True) for _ in range(2))
            print(f"batch {batch:4d} {precision}: eager {eager:8.0f} images/s, one CUDA graph per step {graphed:8.0f} "
                  f"images/s, {graphed / eager:.2f}x", flush=True)


if __name__ == "__main__":
    main()
