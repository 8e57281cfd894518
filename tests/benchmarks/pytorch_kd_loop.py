#!/usr/bin/env python3
"""The plain PyTorch KD loop a researcher would write (RepDistiller-style CIFAR ResNets, Hinton KD,
SGD), timed on synthetic 3x32x32 batches. For tests/benchmarks/bench_kd_throughput.cpp.

Usage (Debian's python3-torch):
  /usr/bin/python3 pytorch_kd_loop.py THREADS WARMUP STEPS BATCH [fp32|bf16|fp16] [DEVICE]
      prints one line: "<images per second>". bf16/fp16: the forward passes under autocast with
      channels-last models and images, the way PyTorch's documentation recommends; fp16 scales the
      loss with GradScaler. DEVICE: cpu (the default) or cuda[:N] (the clock waits for the GPU).
  /usr/bin/python3 pytorch_kd_loop.py macs
      prints "<teacher MACs> <student MACs>" per 3x32x32 image (convolutions and linear layers).
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, depth, filters, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters[0])
        layers, inplanes = [], filters[0]
        for i, planes in enumerate(filters[1:]):
            blocks = [BasicBlock(inplanes, planes, 1 if i == 0 else 2)] + [BasicBlock(planes, planes) for _ in range(n - 1)]
            layers.append(nn.Sequential(*blocks))
            inplanes = planes
        self.layer1, self.layer2, self.layer3 = layers
        self.fc = nn.Linear(filters[-1], classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def macs_per_image(model):
    """Multiply-accumulates of one forward pass of a 3x32x32 image: every conv and linear layer."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    return total


LOW_PRECISION = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
T = 4.0


def kd_setup(batch, precision, device):
    """resnet32x4 teacher (frozen, eval), resnet8x4 student, SGD, one synthetic batch; channels-last
    for a low precision. Returns (teacher, student, optimizer, images, labels)."""
    torch.manual_seed(0)
    teacher = ResNet(32, [32, 64, 128, 256], 100).eval().to(device)
    student = ResNet(8, [32, 64, 128, 256], 100).train().to(device)
    for p in teacher.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    images = torch.randn(batch, 3, 32, 32, device=device)
    labels = torch.randint(0, 100, (batch,), device=device)
    if LOW_PRECISION[precision] is not None:
        teacher = teacher.to(memory_format=torch.channels_last)
        student = student.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    return teacher, student, optimizer, images, labels


def kd_loss(teacher, student, images, labels, precision, device, cache_enabled=True):
    """Hinton KD (T = 4, 0.1 CE + 0.9 KL), the forward passes under autocast for a low precision."""
    low = LOW_PRECISION[precision]
    with torch.autocast(device.type, dtype=low or torch.bfloat16, enabled=low is not None, cache_enabled=cache_enabled):
        with torch.no_grad():
            teacher_logits = teacher(images)
        logits = student(images)
    teacher_logits, logits = teacher_logits.float(), logits.float()
    kd = F.kl_div(F.log_softmax(logits / T, 1), F.softmax(teacher_logits / T, 1), reduction="batchmean") * T * T
    return 0.1 * F.cross_entropy(logits, labels) + 0.9 * kd


def main():
    if sys.argv[1] == "macs":
        print(macs_per_image(ResNet(32, [32, 64, 128, 256], 100)), macs_per_image(ResNet(8, [32, 64, 128, 256], 100)))
        return
    threads, warmup, steps, batch = (int(a) for a in sys.argv[1:5])
    precision = sys.argv[5] if len(sys.argv) > 5 else "fp32"
    device = torch.device(sys.argv[6] if len(sys.argv) > 6 else "cpu")
    torch.set_num_threads(threads)
    teacher, student, optimizer, images, labels = kd_setup(batch, precision, device)
    # torch.amp.GradScaler from torch 2.3 on (its torch.cuda.amp one warns there); Debian's 1.13 has the latter.
    if hasattr(torch.amp, "GradScaler"):
        scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    else:
        scaler = torch.cuda.amp.GradScaler(enabled=precision == "fp16")

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    start = None
    for step in range(warmup + steps):
        if step == warmup:
            synchronize()
            start = time.perf_counter()
        loss = kd_loss(teacher, student, images, labels, precision, device)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    synchronize()
    elapsed = time.perf_counter() - start
    print(f"{steps * batch / elapsed:.2f}")


if __name__ == "__main__":
    main()
