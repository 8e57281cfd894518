// Data sets: the IDX reader on the real Fashion-MNIST files and on broken copies, the splits, MNIST and
// CIFAR-10/100 sets written by the tests, the name dispatcher, the synthetic data set, normalisation and batch
// augmentation.
#include <torch/torch.h>
#include <sys/stat.h>
#include <zlib.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "data/CifarReader.h"
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

// --- Small data sets in the official formats, written by the tests ---

// CIFAR records of the global indices first..first+count-1. Pixel (i, c, y, x) is (salt + 31 i + 71 c + 13 y +
// 7 x) mod 256: 31 is odd, so pixel (0, 0) identifies the record among 256. Labels: CIFAR-10 (3 i + 1) mod 10;
// CIFAR-100 fine (7 i + 3) mod 100 (all of 0..99 over 100 records) after a coarse byte fine / 5.
constexpr int64_t kCifarPixels = 3 * 32 * 32;

int64_t cifarLabel(int64_t i, bool hundred) { return hundred ? (7 * i + 3) % 100 : (3 * i + 1) % 10; }

std::string cifarRecords(int64_t first, int64_t count, bool hundred, int64_t salt) {
    std::string bytes;
    for (int64_t i = first; i < first + count; ++i) {
        const int64_t label = cifarLabel(i, hundred);
        if (hundred) bytes += char(label / 5);
        bytes += char(label);
        for (int64_t c = 0; c < 3; ++c)
            for (int64_t y = 0; y < 32; ++y)
                for (int64_t x = 0; x < 32; ++x) bytes += char((salt + 31 * i + 71 * c + 13 * y + 7 * x) % 256);
    }
    return bytes;
}

// The images cifarRecords writes for the given global indices, N×3×32×32 uint8.
at::Tensor cifarExpected(const at::Tensor& indices, int64_t salt) {
    const auto i64 = at::TensorOptions().dtype(at::kLong);
    const at::Tensor i = indices.view({-1, 1, 1, 1});
    const at::Tensor c = at::arange(3, i64).view({1, 3, 1, 1});
    const at::Tensor y = at::arange(32, i64).view({1, 1, 32, 1});
    const at::Tensor x = at::arange(32, i64).view({1, 1, 1, 32});
    return (i * 31 + c * 71 + y * 13 + x * 7 + salt).remainder(256).to(at::kByte);
}

// The global index of each image, recovered from its first pixel.
at::Tensor cifarIndices(const at::Tensor& images, int64_t salt) {
    const at::Tensor first = images.select(1, 0).select(1, 0).select(1, 0).to(at::kLong);
    // 31 * 223 = 6913 = 27 * 256 + 1: 223 is 31's inverse mod 256.
    return (first - salt).remainder(256).mul(223).remainder(256);
}

constexpr int64_t kCifarTrainSalt = 0, kCifarTestSalt = 100;

// CIFAR-10 in dir: five data batches of `perBatch` records (global indices 0..5 perBatch-1), a test batch of
// `testCount`.
void writeCifar10(const std::string& dir, int64_t perBatch = 20, int64_t testCount = 10) {
    QDir().mkpath(QString::fromStdString(dir));
    for (int b = 0; b < 5; ++b) {
        writeBytes(dir + "/data_batch_" + std::to_string(b + 1) + ".bin",
                   cifarRecords(b * perBatch, perBatch, false, kCifarTrainSalt));
    }
    writeBytes(dir + "/test_batch.bin", cifarRecords(0, testCount, false, kCifarTestSalt));
}

void writeCifar100(const std::string& dir, int64_t trainCount = 100, int64_t testCount = 12) {
    QDir().mkpath(QString::fromStdString(dir));
    writeBytes(dir + "/train.bin", cifarRecords(0, trainCount, true, kCifarTrainSalt));
    writeBytes(dir + "/test.bin", cifarRecords(0, testCount, true, kCifarTestSalt));
}

// An IDX file of unsigned bytes: magic 0x0000080<dims>, big-endian sizes, then the data.
std::string idxBytes(const std::vector<uint32_t>& dims, const std::string& data) {
    std::string bytes(4 + 4 * dims.size(), '\0');
    putBigEndian32(bytes, 0, 0x00000800u | uint32_t(dims.size()));
    for (size_t d = 0; d < dims.size(); ++d) putBigEndian32(bytes, 4 + 4 * d, dims[d]);
    return bytes + data;
}

// MNIST-style IDX set of `trainCount` + `testCount` 28×28 images in dir: pixel (i, y, x) = (salt + 5 i + 3 y +
// x) mod 256, label (i + salt) mod 10; the training files gzip-compressed, the test files raw.
void writeMnist(const std::string& dir, int64_t trainCount, int64_t testCount) {
    auto write = [&](const std::string& prefix, int64_t count, int64_t salt, bool gz) {
        std::string pixels, labels;
        for (int64_t i = 0; i < count; ++i) {
            labels += char((i + salt) % 10);
            for (int64_t y = 0; y < 28; ++y)
                for (int64_t x = 0; x < 28; ++x) pixels += char((salt + 5 * i + 3 * y + x) % 256);
        }
        const std::string images = idxBytes({uint32_t(count), 28, 28}, pixels);
        const std::string labelFile = idxBytes({uint32_t(count)}, labels);
        if (gz) {
            gzipTo(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
            gzipTo(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labelFile);
        } else {
            writeBytes(dir + "/" + prefix + "-images-idx3-ubyte", images);
            writeBytes(dir + "/" + prefix + "-labels-idx1-ubyte", labelFile);
        }
    };
    write("train", trainCount, 0, true);
    write("t10k", testCount, 7, false);
}

std::vector<int64_t> toVector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kLong).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

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
            // Raw, the file's size shows what is missing; gzip-compressed, a 514-byte file cannot hold
            // 7.8 MB, which is known before anything is allocated or decompressed.
            const bool gz = QString(name).endsWith(QLatin1String(".gz"));
            VERIFY_CONTAINS(message, std::string(gz ? "declares 7840000 bytes of pixel data, but a gzip file of "
                                                    : "expected 7840000 bytes of pixel data, got 1000"));
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

    // Hostile IDX files (issue 13): each gives a DataError naming the file and what is wrong, before
    // anything larger than the file can hold is allocated; nothing crashes or blocks.
    void hostileIdxFilesFailCleanly_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("gzip");       // written gzip-compressed
        QTest::addColumn<bool>("images");     // read as images (else labels)
        QTest::addColumn<QString>("fragment");
        const auto header = [](uint32_t magic, std::vector<uint32_t> dims) {
            std::string bytes(4 + 4 * dims.size(), '\0');
            putBigEndian32(bytes, 0, magic);
            for (size_t d = 0; d < dims.size(); ++d) putBigEndian32(bytes, 4 + 4 * d, dims[d]);
            return QByteArray::fromStdString(bytes);
        };
        // 10^8 images of 6×6 declared in a file of a few dozen bytes: a 3.6 GB allocation before.
        QTest::newRow("gzip bomb images") << header(0x803, {100000000, 6, 6}) + QByteArray(1000, '\0') << true << true
                                          << "declares 3600000000 bytes of pixel data, but a gzip file of";
        QTest::newRow("gzip bomb labels") << header(0x801, {100000000}) << true << false
                                          << "declares 100000000 bytes of label data, but a gzip file of";
        QTest::newRow("raw header only") << header(0x803, {60000, 28, 28}) << false << true
                                         << "is truncated: expected 47040000 bytes of pixel data, got 0";
        QTest::newRow("four dimensions") << header(0x804, {1, 1, 1, 1}) << false << true
                                         << "got 0x00000804. The file holds unsigned bytes with 4 dimensions";
        QTest::newRow("float data") << header(0xD03, {1, 28, 28}) << false << true
                                    << "got 0x00000D03. It is not an IDX file, or it is corrupt.";
        QTest::newRow("all ones") << QByteArray(16, '\xff') << false << true << "got 0xFFFFFFFF";
        QTest::newRow("three bytes") << QByteArray("\0\0\x08", 3) << false << false
                                     << "is truncated: expected a 8-byte header, got 3 bytes";
        QTest::newRow("header cut") << header(0x803, {1, 28, 28}).left(10) << true << true
                                    << "is truncated: expected a 16-byte header, got 10 bytes";
        QTest::newRow("item count 2^32-1") << header(0x801, {0xFFFFFFFFu}) << false << false
                                           << "item count is 4294967295, expected 1..100000000";
        QTest::newRow("side 16385") << header(0x803, {1, 16385, 1}) << false << true
                                    << "row count is 16385, expected 1..16384";
        QTest::newRow("product over 4 GiB") << header(0x803, {100000000, 16384, 16384}) << false << true
                                            << "declares 26843545600000000 bytes of pixel data, more than 4 GiB";
        // A megabyte of zeros after one label, in a few kB of gzip: counted no further than needed.
        QTest::newRow("endless trailer") << header(0x801, {1}) + QByteArray(4 << 20, '\0') << true << false
                                         << "has more than 1048576 bytes after the 1 bytes of label data";
        QTest::newRow("corrupt gzip") << QByteArray("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage", 23)
                                      << false << true << "corrupt gzip data in";
    }
    void hostileIdxFilesFailCleanly() {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, gzip);
        QFETCH(bool, images);
        QFETCH(QString, fragment);
        QTemporaryDir dir;
        const std::string file = dir.filePath("hostile-idx-ubyte").toStdString();
        if (gzip) gzipTo(file, bytes.toStdString());
        else writeBytes(file, bytes.toStdString());
        const QString message = dataError([&] { images ? readIdxImages(file) : readIdxLabels(file); });
        VERIFY_CONTAINS(message, file);
        VERIFY_CONTAINS(message, fragment.toStdString());
    }

    // A gzip bomb after valid data: 256 gzip members of 64 MiB of zeros each (16 GiB, in a 16 MB file).
    // Only the first megabyte after the data is decompressed to report the error, not all 16 GiB.
    void gzipTrailerIsNotDecompressedWhole() {
        QTemporaryDir dir;
        const std::string file = dir.filePath("bomb-labels-idx1-ubyte.gz").toStdString();
        gzipTo(file, idxBytes({1}, std::string(1, '\3')));
        const std::string zerosFile = dir.filePath("zeros.gz").toStdString();
        gzipTo(zerosFile, std::string(size_t(64) << 20, '\0'));
        const std::string member = readBytes(zerosFile);
        std::string bomb = readBytes(file);
        for (int i = 0; i < 256; ++i) bomb += member;
        writeBytes(file, bomb);
        QElapsedTimer timer;
        timer.start();
        const QString message = dataError([&] { readIdxLabels(file); });
        VERIFY_CONTAINS(message, file);
        VERIFY_CONTAINS(message, std::string("has more than 1048576 bytes after the 1 bytes of label data"));
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));   // all of it: ~60 s
    }

    // A pipe blocked gzopen until a writer came; a device never ends.
    void pipesAreNotDataFiles() {
        QTemporaryDir dir;
        const std::string fifo = dir.filePath("train-images-idx3-ubyte").toStdString();
        QCOMPARE(mkfifo(fifo.c_str(), 0600), 0);
        QString message = dataError([&] { readIdxImages(fifo); });
        VERIFY_CONTAINS(message, fifo);
        VERIFY_CONTAINS(message, std::string("is not a regular file (a pipe, device or socket)"));
        message = dataError([&] { readCifarBatches({fifo}, CifarKind::Cifar10); });
        VERIFY_CONTAINS(message, fifo);
        VERIFY_CONTAINS(message, std::string("is not a regular file (a pipe, device or socket)"));
    }

    // A sparse 5 GiB file of whole CIFAR-10 records (label 0, black pixels) would have been read whole
    // into two 5 GiB buffers.
    void hugeCifarFilesAreRefusedBeforeReading() {
        QTemporaryDir dir;
        const std::string file = dir.filePath("data_batch_1.bin").toStdString();
        QFile sparse(QString::fromStdString(file));
        QVERIFY(sparse.open(QIODevice::WriteOnly));
        const qint64 size = qint64(3073) * 1750000;   // 5.4 GB, a multiple of the record size
        QVERIFY(sparse.resize(size));
        sparse.close();
        const QString message = dataError([&] { readCifarBatches({file}, CifarKind::Cifar10); });
        VERIFY_CONTAINS(message, file);
        VERIFY_CONTAINS(message, "has " + std::to_string(size) + " bytes, more than 4 GiB");
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

    void cifar10ReadsRecordsExactly() {
        QTemporaryDir root;
        const std::string dir = root.path().toStdString();
        writeCifar10(dir);
        const DatasetSplits a = loadCifar("cifar10", dir, 15, 0, 4);
        QCOMPARE(a.train.images.sizes().vec(), (std::vector<int64_t>{85, 3, 32, 32}));
        QCOMPARE(a.val.images.sizes().vec(), (std::vector<int64_t>{15, 3, 32, 32}));
        QCOMPARE(a.test.images.sizes().vec(), (std::vector<int64_t>{10, 3, 32, 32}));
        QCOMPARE(a.train.images.scalar_type(), at::kByte);
        QCOMPARE(a.train.labels.scalar_type(), at::kLong);
        for (const Dataset* d : {&a.train, &a.val, &a.test}) {
            QCOMPARE(d->name, std::string("cifar10"));
            QCOMPARE(d->numClasses, 10);
            QCOMPARE(d->mean, (std::vector<double>{0.4914, 0.4822, 0.4465}));
            QCOMPARE(d->std, (std::vector<double>{0.2470, 0.2435, 0.2616}));
        }

        // The test split is test_batch.bin in file order: byte 1 + 1024 c + 32 y + x of record i (after its
        // label byte) is images[i][c][y][x].
        const std::string testBytes = readBytes(dir + "/test_batch.bin");
        QCOMPARE(testBytes.size(), size_t(10 * 3073));
        QCOMPARE(a.test.images[7][2][5][30].item<int64_t>(),
                 int64_t(uint8_t(testBytes[7 * 3073 + 1 + 2 * 1024 + 5 * 32 + 30])));
        QCOMPARE(a.test.images[7][2][5][30].item<int64_t>(),
                 (kCifarTestSalt + 31 * 7 + 71 * 2 + 13 * 5 + 7 * 30) % 256);
        QCOMPARE(a.test.labels[7].item<int64_t>(), int64_t(uint8_t(testBytes[7 * 3073])));
        const at::Tensor testIndex = at::arange(10, at::kLong);
        QVERIFY(sameTensor(a.test.images, cifarExpected(testIndex, kCifarTestSalt)));
        QCOMPARE(toVector(a.test.labels), toVector((testIndex * 3 + 1).remainder(10)));

        // data_batch_2.bin's record 4 is training record 24 overall: the batches are read in order 1..5.
        const std::string batch2 = readBytes(dir + "/data_batch_2.bin");
        const at::Tensor all = at::cat({a.train.images, a.val.images});
        const at::Tensor allLabels = at::cat({a.train.labels, a.val.labels});
        const at::Tensor index = cifarIndices(all, kCifarTrainSalt);
        const int64_t row = index.eq(24).nonzero()[0][0].item<int64_t>();
        QCOMPARE(all[row][1][31][0].item<int64_t>(), int64_t(uint8_t(batch2[4 * 3073 + 1 + 1024 + 31 * 32])));
        QCOMPARE(allLabels[row].item<int64_t>(), int64_t(uint8_t(batch2[4 * 3073])));

        // train and val partition the 100 training records, each image and label read back exactly, each
        // split in file order.
        QCOMPARE(toVector(std::get<0>(index.sort())), toVector(at::arange(100, at::kLong)));
        QVERIFY(sameTensor(all, cifarExpected(index, kCifarTrainSalt)));
        QCOMPARE(toVector(allLabels), toVector((index * 3 + 1).remainder(10)));
        const at::Tensor trainIndex = cifarIndices(a.train.images, kCifarTrainSalt);
        QCOMPARE(toVector(trainIndex), toVector(std::get<0>(trainIndex.sort())));

        // Same split semantics as the IDX sets: a subset keeps the validation split, another seed changes it.
        const DatasetSplits b = loadCifar("cifar10", dir, 15, 30, 4);
        QCOMPARE(b.train.size(), 30);
        QVERIFY(sameTensor(b.val.images, a.val.images));
        QVERIFY(sameTensor(b.val.labels, a.val.labels));
        const DatasetSplits c = loadCifar("cifar10", dir, 15, 0, 5);
        QVERIFY(!sameTensor(c.val.images, a.val.images));
        const DatasetSplits none = loadCifar("cifar10", dir, 0, 0, 4);
        QCOMPARE(none.train.size(), 100);
        QCOMPARE(none.val.size(), 0);
        QVERIFY(sameTensor(none.train.images, cifarExpected(at::arange(100, at::kLong), kCifarTrainSalt)));
        QString message = dataError([&] { loadCifar("cifar10", dir, 100, 0, 1); });
        VERIFY_CONTAINS(message, std::string("validation split must hold 0..99"));
        message = dataError([&] { loadCifar("cifar10", dir, 15, 86, 1); });
        VERIFY_CONTAINS(message, std::string("only 85 remain"));
        message = dataError([&] { loadCifar("cifar20", dir, 15, 0, 1); });
        VERIFY_CONTAINS(message, std::string("cifar20"));
    }

    void cifar100UsesFineLabels() {
        QTemporaryDir root;
        const std::string dir = root.path().toStdString();
        writeCifar100(dir + "/cifar-100-binary");   // the folder the official archive extracts to
        // A coarse byte is ignored whatever its value.
        const std::string bytes = cifarRecords(0, 12, true, kCifarTestSalt);
        std::string test = bytes;
        test[5 * 3074] = char(255);
        writeBytes(dir + "/cifar-100-binary/test.bin", test);

        const DatasetSplits a = loadCifar("cifar100", dir, 20, 0, 9);
        QCOMPARE(a.train.images.sizes().vec(), (std::vector<int64_t>{80, 3, 32, 32}));
        QCOMPARE(a.val.size(), 20);
        QCOMPARE(a.test.images.sizes().vec(), (std::vector<int64_t>{12, 3, 32, 32}));
        QCOMPARE(a.train.numClasses, 100);
        QCOMPARE(a.test.name, std::string("cifar100"));
        QCOMPARE(a.val.mean, (std::vector<double>{0.5071, 0.4865, 0.4409}));
        QCOMPARE(a.val.std, (std::vector<double>{0.2673, 0.2564, 0.2762}));
        // Fine labels, the second byte of each record: all of 0..99 once over the 100 training records.
        const at::Tensor allLabels = at::cat({a.train.labels, a.val.labels});
        QVERIFY(sameTensor(allLabels.bincount({}, 100), at::ones({100}, at::kLong)));
        const at::Tensor index = cifarIndices(at::cat({a.train.images, a.val.images}), kCifarTrainSalt);
        QCOMPARE(toVector(allLabels), toVector((index * 7 + 3).remainder(100)));
        QCOMPARE(toVector(a.test.labels), toVector((at::arange(12, at::kLong) * 7 + 3).remainder(100)));
        QCOMPARE(a.test.labels[5].item<int64_t>(), int64_t(uint8_t(bytes[5 * 3074 + 1])));   // 38, coarse 255
        // Pixels start after the two label bytes.
        QVERIFY(sameTensor(a.test.images, cifarExpected(at::arange(12, at::kLong), kCifarTestSalt)));
        QCOMPARE(a.test.images[11][0][0][1].item<int64_t>(), int64_t(uint8_t(bytes[11 * 3074 + 2 + 1])));

        // The batch reader directly, on one file.
        const CifarBatch batch = readCifarBatches({dir + "/cifar-100-binary/test.bin"}, CifarKind::Cifar100);
        QVERIFY(sameTensor(batch.images, a.test.images));
        QVERIFY(sameTensor(batch.labels, a.test.labels));
    }

    void cifarSubfolderLayout() {
        QTemporaryDir flat, nested;
        writeCifar10(flat.path().toStdString());
        writeCifar10(nested.path().toStdString() + "/cifar-10-batches-bin");
        QCOMPARE(findCifarFolder(flat.path().toStdString(), CifarKind::Cifar10), flat.path().toStdString());
        QCOMPARE(findCifarFolder(nested.path().toStdString(), CifarKind::Cifar10),
                 nested.path().toStdString() + "/cifar-10-batches-bin");
        const DatasetSplits a = loadCifar("cifar10", flat.path().toStdString(), 10, 0, 2);
        const DatasetSplits b = loadCifar("cifar10", nested.path().toStdString(), 10, 0, 2);
        QVERIFY(sameTensor(a.train.images, b.train.images));
        QVERIFY(sameTensor(a.val.labels, b.val.labels));
        QVERIFY(sameTensor(a.test.images, b.test.images));
        // CIFAR-100's files directly in the root.
        QTemporaryDir hundred;
        writeCifar100(hundred.path().toStdString());
        QCOMPARE(loadCifar("cifar100", hundred.path().toStdString(), 10, 0, 2).train.size(), 90);
    }

    void cifarMissingFilesSayWhereTheyComeFrom() {
        QTemporaryDir root;
        const std::string dir = root.path().toStdString();
        // Nothing there: both places looked in are named, and where the binary version comes from.
        QString message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, dir + "/data_batch_1.bin");
        VERIFY_CONTAINS(message, dir + "/cifar-10-batches-bin/data_batch_1.bin");
        VERIFY_CONTAINS(message, std::string("data_batch_5.bin, test_batch.bin"));
        VERIFY_CONTAINS(message, std::string("\"binary version\""));
        VERIFY_CONTAINS(message, std::string("website"));
        VERIFY_CONTAINS(message, std::string("cifar-10-binary.tar.gz"));
        VERIFY_CONTAINS(message, std::string("never downloads"));
        message = dataError([&] { loadCifar("cifar100", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, dir + "/train.bin");
        VERIFY_CONTAINS(message, dir + "/cifar-100-binary/train.bin");
        VERIFY_CONTAINS(message, std::string("CIFAR-100's official \"binary version\""));
        // A root that does not exist; the Python version instead of the binary one; an unextracted archive.
        message = dataError([&] { loadCifar("cifar10", dir + "/nope", 10, 0, 1); });
        VERIFY_CONTAINS(message, dir + "/nope/data_batch_1.bin");
        VERIFY_CONTAINS(message, std::string("does not exist"));
        QDir().mkpath(QString::fromStdString(dir + "/cifar-10-batches-py"));
        writeBytes(dir + "/cifar-10-binary.tar.gz", "x");
        message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, std::string("Python version"));
        VERIFY_CONTAINS(message, std::string("tar xzf cifar-10-binary.tar.gz"));

        // Some of the files: the missing ones are named, in the folder that holds the others.
        writeCifar10(dir + "/cifar-10-batches-bin");
        QFile::remove(QString::fromStdString(dir + "/cifar-10-batches-bin/data_batch_4.bin"));
        QFile::remove(QString::fromStdString(dir + "/cifar-10-batches-bin/test_batch.bin"));
        message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, "not found: " + dir + "/cifar-10-batches-bin/data_batch_4.bin, " + dir +
                                     "/cifar-10-batches-bin/test_batch.bin.");
        QVERIFY(!message.contains(QString::fromStdString(dir + "/cifar-10-batches-bin/data_batch_3.bin")));
        VERIFY_CONTAINS(message, std::string("needs all of data_batch_1.bin"));
    }

    void cifarBadFilesNameTheFile() {
        QTemporaryDir root;
        const std::string dir = root.path().toStdString();
        writeCifar10(dir);
        const std::string batch3 = dir + "/data_batch_3.bin";
        const std::string good3 = readBytes(batch3);

        // A truncated batch: the record size and the file size.
        writeBytes(batch3, good3.substr(0, good3.size() - 100));
        QString message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, batch3);
        VERIFY_CONTAINS(message, std::string("has 61360 bytes, not a multiple of the 3073-byte record"));
        VERIFY_CONTAINS(message, std::string("19 whole records and 2973 bytes over"));
        // CIFAR-100 records in a CIFAR-10 batch.
        writeBytes(batch3, cifarRecords(0, 20, true, 0));
        message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, batch3);
        VERIFY_CONTAINS(message, std::string("has 61480 bytes"));
        VERIFY_CONTAINS(message, std::string("fits CIFAR-100's 3074-byte records"));
        // An empty batch.
        writeBytes(batch3, "");
        message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, batch3);
        VERIFY_CONTAINS(message, std::string("is empty"));
        writeBytes(batch3, good3);

        // A label out of range: the record (within its file) and the value.
        const std::string batch2 = dir + "/data_batch_2.bin";
        std::string bytes = readBytes(batch2);
        bytes[7 * 3073] = char(10);
        writeBytes(batch2, bytes);
        message = dataError([&] { loadCifar("cifar10", dir, 10, 0, 1); });
        VERIFY_CONTAINS(message, batch2);
        VERIFY_CONTAINS(message, std::string("label 10 at record 7 (counting from 0), expected 0..9"));

        QTemporaryDir hundred;
        const std::string dir100 = hundred.path().toStdString();
        writeCifar100(dir100);
        bytes = readBytes(dir100 + "/test.bin");
        bytes[3 * 3074 + 1] = char(100);
        writeBytes(dir100 + "/test.bin", bytes);
        message = dataError([&] { loadCifar("cifar100", dir100, 10, 0, 1); });
        VERIFY_CONTAINS(message, dir100 + "/test.bin");
        VERIFY_CONTAINS(message, std::string("fine label 100 at record 3 (counting from 0), expected 0..99"));
        // A CIFAR-100 train.bin of the wrong size, and a directory where a file should be.
        writeBytes(dir100 + "/train.bin", std::string(3074 * 2 + 1, '\0'));
        message = dataError([&] { loadCifar("cifar100", dir100, 1, 0, 1); });
        VERIFY_CONTAINS(message, dir100 + "/train.bin");
        VERIFY_CONTAINS(message, std::string("has 6149 bytes, not a multiple of the 3074-byte record"));
        QDir().mkpath(QString::fromStdString(dir + "/folder.bin"));
        message = dataError([&] { readCifarBatches({dir + "/folder.bin"}, CifarKind::Cifar10); });
        VERIFY_CONTAINS(message, dir + "/folder.bin");
        VERIFY_CONTAINS(message, std::string("is a directory"));
        message = dataError([&] { readCifarBatches({dir + "/gone.bin"}, CifarKind::Cifar10); });
        VERIFY_CONTAINS(message, dir + "/gone.bin");
        VERIFY_CONTAINS(message, std::string("not found"));
    }

    void normaliseWithCifarStats() {
        QTemporaryDir root;
        writeCifar10(root.path().toStdString());
        const DatasetSplits s = loadCifar("cifar10", root.path().toStdString(), 10, 0, 1);
        const at::Tensor x = normalise(s.test.images, s.test, at::kCPU);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{10, 3, 32, 32}));
        QCOMPARE(x.scalar_type(), at::kFloat);
        const double mean[3] = {0.4914, 0.4822, 0.4465}, std[3] = {0.2470, 0.2435, 0.2616};
        for (int64_t c = 0; c < 3; ++c) {
            const double v = s.test.images[4][c][9][17].item<double>();
            QVERIFY(std::abs(x[4][c][9][17].item<double>() - (v / 255.0 - mean[c]) / std[c]) < 1e-5);
        }
        // Whole tensor against the formula.
        const at::Tensor m = at::tensor({0.4914, 0.4822, 0.4465}, at::kDouble).view({1, 3, 1, 1});
        const at::Tensor d = at::tensor({0.2470, 0.2435, 0.2616}, at::kDouble).view({1, 3, 1, 1});
        const at::Tensor expected = (s.test.images.to(at::kDouble) / 255.0 - m) / d;
        QVERIFY((x.to(at::kDouble) - expected).abs().max().item<double>() < 1e-5);

        QTemporaryDir hundred;
        writeCifar100(hundred.path().toStdString());
        const DatasetSplits h = loadCifar("cifar100", hundred.path().toStdString(), 10, 0, 1);
        const at::Tensor y = normalise(h.train.images, h.train, at::kCPU);
        const double v = h.train.images[2][2][0][3].item<double>();
        QVERIFY(std::abs(y[2][2][0][3].item<double>() - (v / 255.0 - 0.4409) / 0.2762) < 1e-5);
    }

    void mnistIdxSetWrittenHere() {
        QTemporaryDir root;
        const std::string dir = root.path().toStdString();
        writeMnist(dir, 40, 10);
        const DatasetSplits s = loadIdxDataset("mnist", dir, 8, 0, 3);
        QCOMPARE(s.train.images.sizes().vec(), (std::vector<int64_t>{32, 1, 28, 28}));
        QCOMPARE(s.val.size(), 8);
        QCOMPARE(s.test.images.sizes().vec(), (std::vector<int64_t>{10, 1, 28, 28}));
        QCOMPARE(s.train.numClasses, 10);
        for (const Dataset* d : {&s.train, &s.val, &s.test}) {
            QCOMPARE(d->name, std::string("mnist"));
            QCOMPARE(d->mean, std::vector<double>{0.1307});
            QCOMPARE(d->std, std::vector<double>{0.3081});
        }
        // Test image 3 (raw file), row 14, column 9: (7 + 5·3 + 3·14 + 9) mod 256; label (3 + 7) mod 10.
        QCOMPARE(s.test.images[3][0][14][9].item<int64_t>(), 7 + 15 + 42 + 9);
        QCOMPARE(toVector(s.test.labels), toVector((at::arange(10, at::kLong) + 7).remainder(10)));
        // train + val are the 40 gzip-compressed training images: image i has pixel (0, 0) = 5 i.
        const at::Tensor all = at::cat({s.train.images, s.val.images});
        const at::Tensor index = all.select(1, 0).select(1, 0).select(1, 0).to(at::kLong).div(5, "floor");
        QCOMPARE(toVector(std::get<0>(index.sort())), toVector(at::arange(40, at::kLong)));
        QCOMPARE(toVector(at::cat({s.train.labels, s.val.labels})), toVector(index.remainder(10)));
        const auto i64 = at::TensorOptions().dtype(at::kLong);
        const at::Tensor expected = (index.view({-1, 1, 1, 1}) * 5 + at::arange(28, i64).view({1, 1, 28, 1}) * 3 +
                                     at::arange(28, i64).view({1, 1, 1, 28}))
                                        .remainder(256)
                                        .to(at::kByte);
        QVERIFY(sameTensor(all, expected));
        // Normalised with MNIST's constants.
        const at::Tensor x = normalise(s.test.images, s.test, at::kCPU);
        QVERIFY(std::abs(x[3][0][14][9].item<double>() - (73.0 / 255.0 - 0.1307) / 0.3081) < 1e-5);

        // A missing file: named, with the four files MNIST needs at that root.
        QFile::remove(QString::fromStdString(dir + "/t10k-labels-idx1-ubyte"));
        const QString message = dataError([&] { loadIdxDataset("mnist", dir, 8, 0, 3); });
        VERIFY_CONTAINS(message, dir + "/t10k-labels-idx1-ubyte.gz");
        VERIFY_CONTAINS(message, std::string("not found"));
        VERIFY_CONTAINS(message, std::string("train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                             "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte"));
        VERIFY_CONTAINS(message, std::string("MNIST's IDX files are needed at that root"));
        VERIFY_CONTAINS(message, std::string("Debian has no MNIST package"));
        QVERIFY(!message.contains("dataset-fashion-mnist"));
        const QString nowhere = dataError([&] { loadIdxDataset("mnist", dir + "/nope", 8, 0, 3); });
        VERIFY_CONTAINS(nowhere, dir + "/nope/train-images-idx3-ubyte.gz");
        VERIFY_CONTAINS(nowhere, std::string("does not exist"));
        // Fashion-MNIST at another root points to Debian's package.
        const QString fashion = dataError([&] { loadIdxDataset("fashion-mnist", dir, 8, 0, 3); });
        VERIFY_CONTAINS(fashion, dir + "/t10k-labels-idx1-ubyte.gz");
        VERIFY_CONTAINS(fashion, std::string("dataset-fashion-mnist"));
    }

    void namedDatasetDispatch() {
        QTemporaryDir cifar10, cifar100, mnist;
        writeCifar10(cifar10.path().toStdString() + "/cifar-10-batches-bin");
        writeCifar100(cifar100.path().toStdString());
        writeMnist(mnist.path().toStdString(), 30, 5);
        const auto same = [](const DatasetSplits& a, const DatasetSplits& b) {
            return a.train.name == b.train.name && a.train.mean == b.train.mean &&
                   sameTensor(a.train.images, b.train.images) && sameTensor(a.val.labels, b.val.labels) &&
                   sameTensor(a.test.images, b.test.images);
        };
        QVERIFY(same(loadNamedDataset("cifar10", cifar10.path().toStdString(), 10, 20, 6),
                     loadCifar("cifar10", cifar10.path().toStdString(), 10, 20, 6)));
        QVERIFY(same(loadNamedDataset("cifar100", cifar100.path().toStdString(), 10, 0, 6),
                     loadCifar("cifar100", cifar100.path().toStdString(), 10, 0, 6)));
        const DatasetSplits m = loadNamedDataset("mnist", mnist.path().toStdString(), 5, 0, 6);
        QVERIFY(same(m, loadIdxDataset("mnist", mnist.path().toStdString(), 5, 0, 6)));
        QCOMPARE(m.train.mean, std::vector<double>{0.1307});
        // fashion-mnist without a root reads Debian's package.
        const DatasetSplits f = loadNamedDataset("fashion-mnist", "", 5000, 100, 6);
        QCOMPARE(f.train.size(), 100);
        QCOMPARE(f.val.size(), 5000);
        QCOMPARE(f.test.size(), 10000);
        QCOMPARE(f.train.name, std::string("fashion-mnist"));
        QCOMPARE(f.train.mean, std::vector<double>{0.2860});

        // The others need a root: the message names data.root and the files.
        for (const char* name : {"mnist", "cifar10", "cifar100"}) {
            const QString message = dataError([&] { loadNamedDataset(name, "", 10, 0, 1); });
            VERIFY_CONTAINS(message, std::string("data.root"));
            VERIFY_CONTAINS(message, std::string("the ") + name + " data set has no default location");
        }
        VERIFY_CONTAINS(dataError([&] { loadNamedDataset("cifar10", "", 10, 0, 1); }), std::string("data_batch_1.bin"));
        VERIFY_CONTAINS(dataError([&] { loadNamedDataset("cifar100", "", 10, 0, 1); }), std::string("train.bin"));
        VERIFY_CONTAINS(dataError([&] { loadNamedDataset("mnist", "", 10, 0, 1); }),
                        std::string("train-images-idx3-ubyte"));
        // Unknown names, and the synthetic set, which is generated.
        QString message = dataError([&] { loadNamedDataset("svhn", "/tmp", 10, 0, 1); });
        VERIFY_CONTAINS(message, std::string("unknown data set \"svhn\""));
        VERIFY_CONTAINS(message, std::string("fashion-mnist, mnist, cifar10, cifar100 or folder"));
        message = dataError([&] { loadNamedDataset("synthetic", "", 10, 0, 1); });
        VERIFY_CONTAINS(message, std::string("generated"));
        // A named set with a root goes to that set's loader, errors included.
        message = dataError([&] { loadNamedDataset("cifar100", mnist.path().toStdString(), 10, 0, 1); });
        VERIFY_CONTAINS(message, mnist.path().toStdString() + "/train.bin");
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
