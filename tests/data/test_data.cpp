// Data sets: the IDX reader on the real Fashion-MNIST files and on broken copies, the splits,
// the synthetic data set, normalisation and batch augmentation.
#include <torch/torch.h>
#include <zlib.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>

#include "data/DataLoading.h"
#include "data/Dataset.h"
#include "data/IdxReader.h"

using namespace distillery::data;

namespace {

const std::string kRoot = kDefaultFashionMnistRoot;

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::string gunzipFile(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    std::string out;
    char buffer[1 << 16];
    for (int n; (n = gzread(f, buffer, sizeof buffer)) > 0;) out.append(buffer, size_t(n));
    gzclose(f);
    return out;
}

void gzipTo(const std::string& path, const std::string& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
}

void putBigEndian32(std::string& bytes, size_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[offset + size_t(i)] = char((value >> (24 - 8 * i)) & 0xFF);
}

// The DataError message thrown by f, or an empty string (QVERIFY fails on it) when nothing is thrown.
QString dataError(const std::function<void()>& f) {
    try {
        f();
    } catch (const DataError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

#define VERIFY_CONTAINS(message, fragment)                                                                     \
    QVERIFY2((message).contains(QString::fromStdString(fragment)),                                           \
             qPrintable(QStringLiteral("'%1' not in: %2").arg(QString::fromStdString(fragment), message)))

bool sameTensor(const at::Tensor& a, const at::Tensor& b) { return a.sizes() == b.sizes() && a.equal(b); }

}  // namespace

class TestData : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    std::string path(const char* name) const { return tmp_.filePath(name).toStdString(); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void readsRealFashionMnist() {
        const at::Tensor train = readIdxImages(kRoot + "/train-images-idx3-ubyte.gz");
        const at::Tensor trainLabels = readIdxLabels(kRoot + "/train-labels-idx1-ubyte.gz");
        const at::Tensor test = readIdxImages(kRoot + "/t10k-images-idx3-ubyte.gz");
        const at::Tensor testLabels = readIdxLabels(kRoot + "/t10k-labels-idx1-ubyte.gz");
        QCOMPARE(train.sizes().vec(), (std::vector<int64_t>{60000, 1, 28, 28}));
        QCOMPARE(test.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
        QCOMPARE(train.scalar_type(), at::kByte);
        QCOMPARE(trainLabels.scalar_type(), at::kLong);
        QCOMPARE(trainLabels.size(0), 60000);
        QCOMPARE(testLabels.size(0), 10000);
        QCOMPARE(trainLabels.min().item<int64_t>(), 0);
        QCOMPARE(trainLabels.max().item<int64_t>(), 9);
        // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
        QVERIFY(sameTensor(trainLabels.bincount(), at::full({10}, 6000, at::kLong)));
        QVERIFY(sameTensor(testLabels.bincount(), at::full({10}, 1000, at::kLong)));
        // The published normalisation constants are the training pixels' mean and std.
        const at::Tensor x = train.to(at::kDouble).div(255.0);
        QVERIFY(std::abs(x.mean().item<double>() - 0.2860) < 5e-4);
        QVERIFY(std::abs(x.std().item<double>() - 0.3530) < 5e-4);
        // The first training label of Fashion-MNIST is 9 (ankle boot), the first test label 9 too.
        QCOMPARE(trainLabels[0].item<int64_t>(), 9);
        QCOMPARE(testLabels[0].item<int64_t>(), 9);
    }

    void gzipAndRawCopiesReadTheSame() {
        const std::string raw = gunzipFile(kRoot + "/t10k-images-idx3-ubyte.gz");
        QCOMPARE(raw.size(), size_t(16 + 10000 * 28 * 28));
        writeBytes(path("copy-images-idx3-ubyte"), raw);
        gzipTo(path("copy-images-idx3-ubyte.gz"), raw);
        const at::Tensor original = readIdxImages(kRoot + "/t10k-images-idx3-ubyte.gz");
        QVERIFY(sameTensor(readIdxImages(path("copy-images-idx3-ubyte")), original));
        QVERIFY(sameTensor(readIdxImages(path("copy-images-idx3-ubyte.gz")), original));
        // Pixel bytes land in row-major order: byte 16 + 784 i + 28 r + c is image i, row r, column c.
        QCOMPARE(original[3][0][14][9].item<int64_t>(), int64_t(uint8_t(raw[16 + 784 * 3 + 28 * 14 + 9])));

        const std::string rawLabels = gunzipFile(kRoot + "/t10k-labels-idx1-ubyte.gz");
        writeBytes(path("copy-labels-idx1-ubyte"), rawLabels);
        const at::Tensor labels = readIdxLabels(path("copy-labels-idx1-ubyte"));
        QVERIFY(sameTensor(labels, readIdxLabels(kRoot + "/t10k-labels-idx1-ubyte.gz")));
        QCOMPARE(labels[123].item<int64_t>(), int64_t(uint8_t(rawLabels[8 + 123])));
    }

    void truncatedFilesNameFileAndSizes() {
        const std::string raw = gunzipFile(kRoot + "/t10k-images-idx3-ubyte.gz");
        const std::string cut = raw.substr(0, 16 + 1000);
        writeBytes(path("short-images-idx3-ubyte"), cut);
        gzipTo(path("short-images-idx3-ubyte.gz"), cut);
        for (const char* name : {"short-images-idx3-ubyte", "short-images-idx3-ubyte.gz"}) {
            const QString message = dataError([&] { readIdxImages(path(name)); });
            VERIFY_CONTAINS(message, path(name));
            VERIFY_CONTAINS(message, std::string("truncated"));
            VERIFY_CONTAINS(message, std::string("expected 7840000 bytes of pixel data, got 1000"));
        }
        // A gzip file cut in the middle: the stream ends early.
        const std::string gz = readBytes(kRoot + "/t10k-labels-idx1-ubyte.gz");
        writeBytes(path("cut-labels-idx1-ubyte.gz"), gz.substr(0, gz.size() / 2));
        const QString message = dataError([&] { readIdxLabels(path("cut-labels-idx1-ubyte.gz")); });
        VERIFY_CONTAINS(message, path("cut-labels-idx1-ubyte.gz"));
        VERIFY_CONTAINS(message, std::string("truncated: expected 10000 bytes of label data"));
        // A file shorter than its header.
        writeBytes(path("tiny-labels-idx1-ubyte"), gunzipFile(kRoot + "/t10k-labels-idx1-ubyte.gz").substr(0, 6));
        const QString header = dataError([&] { readIdxLabels(path("tiny-labels-idx1-ubyte")); });
        VERIFY_CONTAINS(header, path("tiny-labels-idx1-ubyte"));
        VERIFY_CONTAINS(header, std::string("truncated"));
    }

    void badMagicNamesExpectedAndActual() {
        std::string labels = gunzipFile(kRoot + "/t10k-labels-idx1-ubyte.gz");
        // The labels file read as images.
        writeBytes(path("labels-as-images"), labels);
        QString message = dataError([&] { readIdxImages(path("labels-as-images")); });
        VERIFY_CONTAINS(message, path("labels-as-images"));
        VERIFY_CONTAINS(message, std::string("bad magic number: expected 0x00000803"));
        VERIFY_CONTAINS(message, std::string("got 0x00000801"));
        // A corrupted magic number, gzip-compressed.
        putBigEndian32(labels, 0, 0xDEADBEEF);
        gzipTo(path("bad-labels-idx1-ubyte.gz"), labels);
        message = dataError([&] { readIdxLabels(path("bad-labels-idx1-ubyte.gz")); });
        VERIFY_CONTAINS(message, path("bad-labels-idx1-ubyte.gz"));
        VERIFY_CONTAINS(message, std::string("expected 0x00000801"));
        VERIFY_CONTAINS(message, std::string("got 0xDEADBEEF"));
    }

    void zeroAndAbsurdDimensionsAreRejected() {
        std::string header(16, '\0');
        putBigEndian32(header, 0, 0x00000803);
        putBigEndian32(header, 4, 0);   // no images
        putBigEndian32(header, 8, 28);
        putBigEndian32(header, 12, 28);
        writeBytes(path("zero-images"), header);
        QString message = dataError([&] { readIdxImages(path("zero-images")); });
        VERIFY_CONTAINS(message, path("zero-images"));
        VERIFY_CONTAINS(message, std::string("item count is 0"));

        putBigEndian32(header, 4, 10);
        putBigEndian32(header, 8, 2000000000);   // rows
        writeBytes(path("absurd-images"), header + std::string(100, '\0'));
        message = dataError([&] { readIdxImages(path("absurd-images")); });
        VERIFY_CONTAINS(message, path("absurd-images"));
        VERIFY_CONTAINS(message, std::string("row count is 2000000000"));

        putBigEndian32(header, 4, 100000000);   // 10^8 images of 1000×1000: 10^14 bytes declared
        putBigEndian32(header, 8, 1000);
        putBigEndian32(header, 12, 1000);
        writeBytes(path("huge-images"), header + std::string(100, '\0'));
        message = dataError([&] { readIdxImages(path("huge-images")); });
        VERIFY_CONTAINS(message, path("huge-images"));
        VERIFY_CONTAINS(message, std::string("more than 4 GiB"));
        putBigEndian32(header, 4, 1000);        // 10^9 bytes declared, 100 present: no 1 GB allocation
        writeBytes(path("big-images"), header + std::string(100, '\0'));
        message = dataError([&] { readIdxImages(path("big-images")); });
        VERIFY_CONTAINS(message, std::string("expected 1000000000 bytes of pixel data, got 100"));

        // Bytes after the declared data.
        std::string labels = gunzipFile(kRoot + "/t10k-labels-idx1-ubyte.gz");
        writeBytes(path("long-labels"), labels + "xyz");
        message = dataError([&] { readIdxLabels(path("long-labels")); });
        VERIFY_CONTAINS(message, path("long-labels"));
        VERIFY_CONTAINS(message, std::string("3 bytes after the 10000 bytes of label data"));
    }

    void missingFilesSayWhereTheyComeFrom() {
        QString message = dataError([&] { readIdxImages(path("nope-idx3-ubyte.gz")); });
        VERIFY_CONTAINS(message, path("nope-idx3-ubyte.gz"));
        VERIFY_CONTAINS(message, std::string("not found"));
        QVERIFY(!message.contains("dataset-fashion-mnist"));

        const std::string underDefault = kRoot + "/no-such-images-idx3-ubyte.gz";
        message = dataError([&] { readIdxImages(underDefault); });
        VERIFY_CONTAINS(message, underDefault);
        VERIFY_CONTAINS(message, std::string("dataset-fashion-mnist"));

        // loadIdxDataset on an empty folder names the first file it looks for.
        QTemporaryDir empty;
        message = dataError([&] { loadIdxDataset("fashion-mnist", empty.path().toStdString(), 10, 0, 1); });
        VERIFY_CONTAINS(message, empty.filePath("train-images-idx3-ubyte.gz").toStdString());
        VERIFY_CONTAINS(message, std::string("not found"));
    }

    void rawFallbackAndCountMismatch() {
        // A root holding raw (uncompressed) copies of the 10k test files as both train and test.
        QTemporaryDir root;
        const std::string images = gunzipFile(kRoot + "/t10k-images-idx3-ubyte.gz");
        std::string labels = gunzipFile(kRoot + "/t10k-labels-idx1-ubyte.gz");
        const auto at = [&](const char* name) { return root.filePath(name).toStdString(); };
        writeBytes(at("train-images-idx3-ubyte"), images);
        writeBytes(at("train-labels-idx1-ubyte"), labels);
        writeBytes(at("t10k-images-idx3-ubyte"), images);
        writeBytes(at("t10k-labels-idx1-ubyte"), labels);
        const DatasetSplits splits = loadIdxDataset("mnist", root.path().toStdString(), 1000, 0, 3);
        QCOMPARE(splits.train.size(), 9000);
        QCOMPARE(splits.val.size(), 1000);
        QCOMPARE(splits.test.size(), 10000);
        QCOMPARE(splits.train.mean.at(0), 0.1307);
        QCOMPARE(splits.train.std.at(0), 0.3081);
        QCOMPARE(splits.test.name, std::string("mnist"));

        // One label fewer than images (a consistent labels file of 9,999 items).
        putBigEndian32(labels, 4, 9999);
        labels.pop_back();
        writeBytes(at("train-labels-idx1-ubyte"), labels);
        const QString message = dataError([&] { loadIdxDataset("mnist", root.path().toStdString(), 1000, 0, 3); });
        VERIFY_CONTAINS(message, at("train-images-idx3-ubyte"));
        VERIFY_CONTAINS(message, at("train-labels-idx1-ubyte"));
        VERIFY_CONTAINS(message, std::string("10000 images"));
        VERIFY_CONTAINS(message, std::string("9999 labels"));

        // A label outside 0..9.
        labels = gunzipFile(kRoot + "/t10k-labels-idx1-ubyte.gz");
        labels[8 + 42] = char(12);
        writeBytes(at("train-labels-idx1-ubyte"), labels);
        const QString range = dataError([&] { loadIdxDataset("mnist", root.path().toStdString(), 1000, 0, 3); });
        VERIFY_CONTAINS(range, at("train-labels-idx1-ubyte"));
        VERIFY_CONTAINS(range, std::string("label 12 (item 42), expected 0..9"));
    }

    void fashionMnistSplits() {
        const DatasetSplits a = loadIdxDataset("fashion-mnist", kRoot, 5000, 0, 7);
        QCOMPARE(a.train.size(), 55000);
        QCOMPARE(a.val.size(), 5000);
        QCOMPARE(a.test.size(), 10000);
        QCOMPARE(a.train.images.sizes().vec(), (std::vector<int64_t>{55000, 1, 28, 28}));
        QCOMPARE(a.val.images.sizes().vec(), (std::vector<int64_t>{5000, 1, 28, 28}));
        QCOMPARE(a.train.numClasses, 10);
        QCOMPARE(a.val.name, std::string("fashion-mnist"));
        QCOMPARE(a.train.mean.at(0), 0.2860);
        QCOMPARE(a.test.std.at(0), 0.3530);
        // train and val partition the training files: class counts and pixel sums add up.
        const at::Tensor all = readIdxImages(kRoot + "/train-images-idx3-ubyte.gz");
        QVERIFY(sameTensor(a.train.labels.bincount({}, 10) + a.val.labels.bincount({}, 10),
                      at::full({10}, 6000, at::kLong)));
        QCOMPARE(a.train.images.sum().item<int64_t>() + a.val.images.sum().item<int64_t>(), all.sum().item<int64_t>());
        // The validation split is a random sample: every class is present in roughly its share.
        const at::Tensor valCounts = a.val.labels.bincount({}, 10);
        QVERIFY(valCounts.min().item<int64_t>() > 400 && valCounts.max().item<int64_t>() < 600);

        // A training subset keeps the same validation split (same seed) and takes 1,000 others.
        const DatasetSplits b = loadIdxDataset("fashion-mnist", kRoot, 5000, 1000, 7);
        QCOMPARE(b.train.size(), 1000);
        QVERIFY(sameTensor(b.val.images, a.val.images));
        QVERIFY(sameTensor(b.val.labels, a.val.labels));
        // Another seed, another split.
        const DatasetSplits c = loadIdxDataset("fashion-mnist", kRoot, 5000, 1000, 8);
        QVERIFY(!sameTensor(c.val.images, a.val.images));

        QString message = dataError([&] { loadIdxDataset("fashion-mnist", kRoot, 60000, 0, 1); });
        VERIFY_CONTAINS(message, std::string("validation split"));
        VERIFY_CONTAINS(message, std::string("got 60000"));
        message = dataError([&] { loadIdxDataset("fashion-mnist", kRoot, 5000, 55001, 1); });
        VERIFY_CONTAINS(message, std::string("55001"));
        VERIFY_CONTAINS(message, std::string("only 55000 remain"));
    }

    void subsetKeepsMetadata() {
        SyntheticOptions o;
        o.trainSize = 50;
        const DatasetSplits s = makeSynthetic(o, 0);
        const Dataset sub = s.train.subset(at::tensor({4, 1, 4}, at::kLong));
        QCOMPARE(sub.size(), 3);
        QCOMPARE(sub.name, s.train.name);
        QCOMPARE(sub.mean, s.train.mean);
        QCOMPARE(sub.numClasses, s.train.numClasses);
        QVERIFY(sameTensor(sub.images[1], s.train.images[1]));
        QVERIFY(sameTensor(sub.images[2], s.train.images[4]));
        QCOMPARE(sub.labels[0].item<int64_t>(), s.train.labels[4].item<int64_t>());
    }

    void syntheticIsSeeded() {
        SyntheticOptions o;
        o.channels = 3;
        o.height = 32;
        o.width = 30;
        o.numClasses = 5;
        o.trainSize = 200;
        o.testSize = 50;
        o.seed = 11;
        const DatasetSplits a = makeSynthetic(o, 40);
        const DatasetSplits b = makeSynthetic(o, 40);
        o.seed = 12;
        const DatasetSplits c = makeSynthetic(o, 40);
        QCOMPARE(a.train.images.sizes().vec(), (std::vector<int64_t>{200, 3, 32, 30}));
        QCOMPARE(a.val.images.sizes().vec(), (std::vector<int64_t>{40, 3, 32, 30}));
        QCOMPARE(a.test.images.sizes().vec(), (std::vector<int64_t>{50, 3, 32, 30}));
        QCOMPARE(a.train.images.scalar_type(), at::kByte);
        QCOMPARE(a.train.labels.scalar_type(), at::kLong);
        QCOMPARE(a.train.numClasses, 5);
        QCOMPARE(a.train.name, std::string("synthetic"));
        QCOMPARE(a.train.labels.min().item<int64_t>(), 0);
        QCOMPARE(a.train.labels.max().item<int64_t>(), 4);
        for (auto [x, y] : {std::pair{&a.train, &b.train}, std::pair{&a.val, &b.val}, std::pair{&a.test, &b.test}}) {
            QVERIFY(sameTensor(x->images, y->images));
            QVERIFY(sameTensor(x->labels, y->labels));
        }
        QVERIFY(!sameTensor(a.train.images, c.train.images));
        QVERIFY(!sameTensor(a.test.images, c.test.images));
        // mean/std are the training images' per-channel statistics.
        const at::Tensor x = a.train.images.to(at::kDouble).div(255.0);
        QCOMPARE(a.train.mean.size(), size_t(3));
        for (int64_t ch = 0; ch < 3; ++ch) {
            QVERIFY(std::abs(a.train.mean[ch] - x.select(1, ch).mean().item<double>()) < 1e-9);
            QVERIFY(std::abs(a.train.std[ch] - x.select(1, ch).std(false).item<double>()) < 1e-9);
        }
        QCOMPARE(a.test.mean, a.train.mean);
        // Same-class samples are closer to each other than to other classes (the data is learnable).
        const at::Tensor flat = a.train.images.to(at::kFloat).flatten(1);
        const at::Tensor sameClass = a.train.labels.unsqueeze(1) == a.train.labels.unsqueeze(0);
        const at::Tensor d = at::cdist(flat, flat);
        const double within = d.masked_select(sameClass).mean().item<double>();
        QVERIFY(within < 0.8 * d.masked_select(~sameClass).mean().item<double>());
    }

    void normaliseStandardises() {
        // Fashion-MNIST's constants standardise its training images.
        const at::Tensor images = readIdxImages(kRoot + "/train-images-idx3-ubyte.gz");
        Dataset meta;
        meta.name = "fashion-mnist";
        meta.mean = {0.2860};
        meta.std = {0.3530};
        const at::Tensor x = normalise(images, meta, at::kCPU);
        QCOMPARE(x.scalar_type(), at::kFloat);
        QCOMPARE(x.sizes(), images.sizes());
        QVERIFY(std::abs(x.mean().item<double>()) < 2e-3);
        QVERIFY(std::abs(x.std().item<double>() - 1.0) < 2e-3);
        // Exact values per channel.
        Dataset rgb;
        rgb.mean = {0.5, 0.25, 0.0};
        rgb.std = {0.5, 0.25, 1.0};
        const at::Tensor px = at::tensor({255, 0, 51}, at::kByte).view({1, 3, 1, 1});
        const at::Tensor y = normalise(px, rgb, at::kCPU).flatten();
        QVERIFY(std::abs(y[0].item<double>() - 1.0) < 1e-6);    // (1 - 0.5) / 0.5
        QVERIFY(std::abs(y[1].item<double>() + 1.0) < 1e-6);    // (0 - 0.25) / 0.25
        QVERIFY(std::abs(y[2].item<double>() - 0.2) < 1e-6);    // 51/255
        // A synthetic training set comes out with mean 0 and std 1 per channel.
        SyntheticOptions o;
        o.channels = 3;
        const DatasetSplits s = makeSynthetic(o, 0);
        const at::Tensor z = normalise(s.train.images, s.train, at::kCPU);
        for (int64_t ch = 0; ch < 3; ++ch) {
            QVERIFY(std::abs(z.select(1, ch).mean().item<double>()) < 1e-4);
            QVERIFY(std::abs(z.select(1, ch).std(false).item<double>() - 1.0) < 1e-4);
        }
    }

    void augmentKeepsShapeAndIdentity() {
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
        const at::Tensor images = at::randint(0, 256, {16, 3, 32, 32}, gen, at::kByte);
        const at::Tensor out = augment(images, 4, true, gen);
        QCOMPARE(out.sizes(), images.sizes());
        QCOMPARE(out.scalar_type(), at::kByte);
        QVERIFY(sameTensor(augment(images, 0, false, gen), images));
        // Float batches (after normalisation) work too.
        const at::Tensor f = images.to(at::kFloat);
        QCOMPARE(augment(f, 2, true, gen).sizes(), f.sizes());
        // The same generator state gives the same batch.
        at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(9);
        at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(9);
        QVERIFY(sameTensor(augment(images, 4, true, g1), augment(images, 4, true, g2)));
    }

    void flipIsTorchFlip() {
        // Images with no mirror symmetry: each output is the original or its mirror image, and with 64
        // samples both happen (the chance that they do not is 2^-63).
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(21);
        const at::Tensor images = at::randint(0, 256, {64, 2, 9, 7}, gen, at::kByte);
        const at::Tensor out = augment(images, 0, true, gen);
        int flipped = 0, kept = 0;
        for (int64_t i = 0; i < 64; ++i) {
            const at::Tensor mirror = torch::flip(images[i], {2});
            QVERIFY(!sameTensor(mirror, images[i]));
            if (sameTensor(out[i], mirror)) ++flipped;
            else if (sameTensor(out[i], images[i])) ++kept;
        }
        QCOMPARE(flipped + kept, 64);
        QVERIFY(flipped > 0 && kept > 0);
    }

    void padCropIsAShiftedWindow() {
        // Every output is a H×W window of the zero-padded image (optionally mirrored), found by search.
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(33);
        const int64_t pad = 3, H = 10, W = 8;
        const at::Tensor images = at::randint(1, 256, {32, 1, H, W}, gen, at::kByte);   // no zeros inside
        const at::Tensor out = augment(images, pad, true, gen);
        const at::Tensor padded = at::constant_pad_nd(images, {pad, pad, pad, pad}, 0);
        std::set<std::pair<int64_t, int64_t>> offsets;
        int flipped = 0;
        for (int64_t i = 0; i < 32; ++i) {
            bool found = false;
            for (int64_t dy = 0; dy <= 2 * pad && !found; ++dy)
                for (int64_t dx = 0; dx <= 2 * pad && !found; ++dx)
                    for (bool mirror : {false, true}) {
                        at::Tensor window = padded[i].narrow(1, dy, H).narrow(2, dx, W);
                        if (mirror) window = torch::flip(window, {2});
                        if (sameTensor(out[i], window)) {
                            found = true;
                            offsets.insert({dy, dx});
                            flipped += mirror;
                            break;
                        }
                    }
            QVERIFY2(found, qPrintable(QString("sample %1 is not a window of the padded image").arg(i)));
        }
        QVERIFY(offsets.size() > 10);   // offsets vary per sample (49 possible)
        QVERIFY(flipped > 0 && flipped < 32);
    }
};

QTEST_GUILESS_MAIN(TestData)
#include "test_data.moc"
