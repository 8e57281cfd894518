#!/usr/bin/env python3
"""What folding batch norm into the convolutions would save on the frozen teacher: resnet32x4's forward,
batch 64 of 3x32x32, channels-last, fp32 and bf16 autocast, with its BN layers as they are and folded
into the preceding convolutions' weights and biases. Then, for comparison, what TorchScript's
torch.jit.optimize_for_inference (BN folding, pre-packed oneDNN weights, fused convolution-ReLU) makes
of the bf16 teacher, a lever LibTorch offers TorchScript modules only. Best of 15 timed forwards.

Usage (Debian's python3-torch): /usr/bin/python3 tests/benchmarks/pytorch_bn_fold.py
"""
import copy, os, sys, time, torch
import torch.nn as nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_kd_loop import ResNet
torch.set_num_threads(2)
t = ResNet(32, [32, 64, 128, 256], 100).eval()
x = torch.randn(64, 3, 32, 32)
def bench(model, x, bf16, n=15):
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for _ in range(3): model(x)
        best = 1e9
        for _ in range(n):
            s = time.perf_counter(); model(x); best = min(best, time.perf_counter() - s)
    return best * 1000
for bf16 in [False, True]:
    tl = t.to(memory_format=torch.channels_last); xl = x.contiguous(memory_format=torch.channels_last)
    plain = bench(tl, xl, bf16)
    # conv+BN folded in the weights: the BN layers become identities
    f = copy.deepcopy(tl)
    def fold(conv, bn):
        w = conv.weight * (bn.weight / torch.sqrt(bn.running_var + bn.eps)).reshape(-1, 1, 1, 1)
        b = bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)
        conv.weight = nn.Parameter(w.contiguous(memory_format=torch.channels_last)); conv.bias = nn.Parameter(b)
    for m in f.modules():
        if hasattr(m, "bn1") and hasattr(m, "conv1"): fold(m.conv1, m.bn1); m.bn1 = nn.Identity()
        if hasattr(m, "bn2") and hasattr(m, "conv2"): fold(m.conv2, m.bn2); m.bn2 = nn.Identity()
        if getattr(m, "downsample", None) is not None: fold(m.downsample[0], m.downsample[1]); m.downsample[1] = nn.Identity()
    folded = bench(f, xl, bf16)
    print("bf16" if bf16 else "fp32", "teacher forward ms: plain %.1f, BN folded %.1f (%.0f%% less)" % (plain, folded, 100 * (1 - folded / plain)))

# TorchScript's inference optimisation of the teacher held in bf16, against eager bf16 autocast.
with torch.no_grad():
    xl = x.contiguous(memory_format=torch.channels_last)
    eager = bench(t.to(memory_format=torch.channels_last), xl, True)
    optimised = torch.jit.optimize_for_inference(torch.jit.script(copy.deepcopy(t).to(torch.bfloat16)))
    frozen = bench(optimised, xl.bfloat16(), False)
print("bf16 teacher forward ms: eager autocast %.1f, torch.jit.optimize_for_inference %.1f (%.0f%% less)"
      % (eager, frozen, 100 * (1 - frozen / eager)))
