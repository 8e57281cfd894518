#!/usr/bin/env python3
"""The plain PyTorch KD loop a researcher would write (RepDistiller-style CIFAR ResNets, Hinton KD,
SGD), timed on synthetic 3x32x32 batches. For tests/benchmarks/bench_kd_throughput.cpp.

Usage (Debian's python3-torch): /usr/bin/python3 pytorch_kd_loop.py THREADS WARMUP STEPS BATCH
Prints one line: "<images per second>".
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


def main():
    threads, warmup, steps, batch = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    teacher = ResNet(32, [32, 64, 128, 256], 100).eval()
    student = ResNet(8, [32, 64, 128, 256], 100).train()
    for p in teacher.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    images = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, 100, (batch,))
    T = 4.0
    start = None
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        with torch.no_grad():
            teacher_logits = teacher(images)
        logits = student(images)
        kd = F.kl_div(F.log_softmax(logits / T, 1), F.softmax(teacher_logits / T, 1), reduction="batchmean") * T * T
        loss = 0.1 * F.cross_entropy(logits, labels) + 0.9 * kd
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    elapsed = time.perf_counter() - start
    print(f"{steps * batch / elapsed:.2f}")


if __name__ == "__main__":
    main()
