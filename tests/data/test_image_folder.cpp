// The image-folder data set on a fixture written by tests/fixtures/make_image_folder.py (PIL, at test time): its
// layout and splits, the decoders against PIL's pixels, the evaluation transform against torchvision's, the random
// crops' geometry, determinism across decode threads, bad files, and a tiny engine run that resumes exactly.
#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "TrainRun.h"
#include "data/BatchStream.h"
#include "data/DataLoading.h"
#include "data/EpochBatches.h"
#include "data/ImageDecoder.h"
#include "data/ImageFiles.h"
#include "data/ImageFolder.h"
#include "data/ImageTransforms.h"
#include "engine/Trainer.h"
#include "spec/Catalog.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"
#include "SameMetrics.h"
#include "TestPrinters.h"

using namespace distillery;
using namespace distillery::data;
namespace fs = std::filesystem;

namespace {

const QString kPython = "/usr/bin/python3";   // Debian's, with python3-pil, python3-torch and python3-torchvision
constexpr int64_t kSize = 32;                 // the fixture's references are for S = 32

std::vector<uint8_t> readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string dataErrorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no DataError)";
}

ImageFolderOptions options(int64_t workers = 2, bool skip = false) {
    ImageFolderOptions o;
    o.imageSize = kSize;
    o.workers = workers;
    o.skipBadImages = skip;
    return o;
}

// Every batch of the stream, concatenated: images and the samples they are.
std::pair<at::Tensor, at::Tensor> drain(BatchStream& stream) {
    std::vector<at::Tensor> images, index;
    while (!stream.done()) {
        const StreamedBatch b = stream.next();
        images.push_back(b.images);
        index.push_back(b.index);
    }
    return {at::cat(images), at::cat(index)};
}

// The training split without the corrupt file: the tests that are not about it.
Dataset withoutCorrupt(const Dataset& train) {
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < train.size(); ++i)
        if (train.files->paths[size_t(i)].find("corrupt") == std::string::npos) keep.push_back(i);
    return train.subset(at::tensor(keep, at::kLong));
}

class RecordingSink : public engine::ProgressSink {
public:
    int64_t stopAfterStep = -1;
    void report(const engine::Progress& p) override {
        if (stopAfterStep >= 0 && p.step >= stopAfterStep) engine::Trainer::requestStop();
    }
};

}  // namespace

class TestImageFolder : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string root_;
    nlohmann::json reference_;


private Q_SLOTS:
    void initTestCase() {
        root_ = dir_.filePath("folder").toStdString();
        QProcess python;
        python.start(kPython, {QStringLiteral(DISTILLERY_SOURCE_DIR) + "/tests/fixtures/make_image_folder.py",
                               QString::fromStdString(root_), "--size", QString::number(kSize)});
        QVERIFY(python.waitForFinished(-1));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        std::ifstream in(root_ + "/reference/index.json");
        reference_ = nlohmann::json::parse(in);
    }
    void init() { engine::Trainer::clearStop(); }

    // Classes are train/'s sorted folder names; every .jpg/.jpeg/.png in any case is a sample, nothing else is.
    void classOrderAndCounts() {
        const DatasetSplits s = loadImageFolder(root_, 20, 0, 0, options());
        const std::vector<std::string> classes = {"apple", "banana", "cherry", "damson"};
        QCOMPARE(s.train.classNames, classes);
        QCOMPARE(spec::imageFolderClasses(root_ + "/train"), classes);
        QCOMPARE(s.train.numClasses, int64_t(4));
        // apple: 60 + grey.png, grey.jpg, palette.png, rgba.png, large.jpg, deep.png; banana: 60 + corrupt.jpg.
        QCOMPARE(s.train.size() + s.val.size(), int64_t(66 + 61 + 60 + 60));
        QCOMPARE(s.test.size(), int64_t(60));
        const at::Tensor counts = at::bincount(at::cat({s.train.labels, s.val.labels}));
        QCOMPARE(counts[0].item<int64_t>(), int64_t(66));
        QCOMPARE(counts[1].item<int64_t>(), int64_t(61));
        QCOMPARE(at::bincount(s.test.labels).eq(15).all().item<bool>(), true);
        for (const auto& path : s.train.files->paths) QVERIFY(path.find("notes.txt") == std::string::npos);
        QCOMPARE(s.train.height(), kSize);
        QCOMPARE(s.train.channels(), int64_t(3));
        QVERIFY(!s.train.images.defined());
        // The spec's view of the same folder, without reading an image.
        spec::DataSpec data;
        data.name = "folder";
        data.root = root_;
        data.imageSize = 48;
        const spec::DataShape shape = spec::dataShape(data);
        QCOMPARE(shape.numClasses, int64_t(4));
        QCOMPARE(shape.height, int64_t(48));
    }

    // The splits are built as for every other data set: a seeded validation hold-out of train/, a subset of the
    // rest, both in file order; the test split is val/.
    void splitsAreSeededHoldOutsOfTrain() {
        const DatasetSplits a = loadImageFolder(root_, 30, 100, 0, options());
        const DatasetSplits b = loadImageFolder(root_, 30, 100, 0, options());
        QCOMPARE(a.val.size(), int64_t(30));
        QCOMPARE(a.train.size(), int64_t(100));
        QCOMPARE(a.val.files->paths, b.val.files->paths);
        QCOMPARE(a.train.files->paths, b.train.files->paths);
        QVERIFY(std::is_sorted(a.train.files->paths.begin(), a.train.files->paths.end()));
        std::set<std::string> train(a.train.files->paths.begin(), a.train.files->paths.end());
        for (const auto& p : a.val.files->paths) QVERIFY(!train.count(p));
        for (const auto& p : a.test.files->paths) QVERIFY(p.find("/val/") != std::string::npos);
        QVERIFY(loadImageFolder(root_, 30, 100, 1, options()).val.files->paths != a.val.files->paths);
        QCOMPARE(a.train.mean, kImageNetMean);
        // Labels follow the files.
        for (int64_t i = 0; i < a.train.size(); ++i) {
            const std::string& path = a.train.files->paths[size_t(i)];
            const std::string cls = a.train.classNames[size_t(a.train.labels[i].item<int64_t>())];
            QVERIFY(path.find("/train/" + cls + "/") != std::string::npos);
        }
        QVERIFY(dataErrorOf([&] { loadImageFolder(root_, 300, 0, 0, options()); }).find("validation split") !=
                std::string::npos);
    }

    // libjpeg-turbo and libpng are PIL's decoders: at full size the pixels are PIL's, byte for byte, for every
    // kind of file (grey, palette, RGBA, 16-bit PNG, grey and colour JPEG).
    void decodedPixelsEqualPils() {
        for (const auto& entry : reference_["files"]) {
            const std::string file = entry["file"];
            const DecodedImage image = decodeImage(root_ + "/" + file);
            QCOMPARE(image.width, entry["width"].get<int64_t>());
            QCOMPARE(image.height, entry["height"].get<int64_t>());
            const std::vector<uint8_t> expected = readBytes(root_ + "/reference/" + entry["pixels"].get<std::string>());
            QVERIFY2(image.pixels == expected, file.c_str());
        }
    }

    // The evaluation transform against torchvision's Resize(round(S/0.875), antialias=True) + CenterCrop(S) on the
    // same pixels. Decoded at full size, every format is within 1 grey level of it (the same coefficients; float
    // sums in another order round differently now and then). loadSample decodes a JPEG in the DCT domain at the
    // smallest scale ≥ the resize (1/8 … 7/8 here), a different low-pass before the same resampling: bounded by a
    // mean difference under 3 and a maximum of 24 grey levels (the figures measured are printed).
    void evaluationTransformMatchesTorchvision() {
        auto files = std::make_shared<ImageFiles>();
        files->imageSize = kSize;
        files->bad = std::make_shared<BadImageRegistry>();
        for (const auto& entry : reference_["files"]) files->paths.push_back(root_ + "/" + entry["file"].get<std::string>());
        const auto difference = [](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
            double sum = 0, worst = 0;
            for (size_t k = 0; k < a.size(); ++k) {
                const double d = std::abs(double(a[k]) - double(b[k]));
                sum += d;
                worst = std::max(worst, d);
            }
            return std::make_pair(sum / double(a.size()), worst);
        };
        double worstMeanJpeg = 0, worstMaxJpeg = 0;
        for (size_t i = 0; i < files->paths.size(); ++i) {
            const std::string& path = files->paths[i];
            const std::vector<uint8_t> expected =
                readBytes(root_ + "/reference/" + reference_["files"][i]["eval"].get<std::string>());
            QCOMPARE(expected.size(), size_t(3 * kSize * kSize));
            // Full-size decode, then the transform's geometry and resampling.
            const DecodedImage image = decodeImage(path);
            const ResizeWindow w = centreCropWindow(image.width, image.height, evaluationResize(kSize), kSize);
            std::vector<uint8_t> full(expected.size());
            resampleBilinearAA(image.pixels.data(), image.width, image.height,
                               {0, 0, double(image.width), double(image.height)}, w.gridWidth, w.gridHeight, w.left,
                               w.top, kSize, kSize, false, full.data());
            QVERIFY2(difference(full, expected).second <= 1, path.c_str());
            // What training and evaluation use.
            std::vector<uint8_t> ours(expected.size());
            QVERIFY(loadSample(*files, int64_t(i), 0, SampleTransform::evaluation(), ours.data()));
            const auto [mean, worst] = difference(ours, expected);
            if (sniffImageFormat(path) == ImageFormat::Png) {
                QVERIFY(ours == full);
            } else {
                worstMeanJpeg = std::max(worstMeanJpeg, mean);
                worstMaxJpeg = std::max(worstMaxJpeg, worst);
            }
        }
        qInfo("JPEG evaluation transform (DCT-domain scaling) vs torchvision: worst mean |diff| %.3f, worst max %.0f "
              "grey levels",
              worstMeanJpeg, worstMaxJpeg);
        QVERIFY(worstMeanJpeg < 3);
        QVERIFY(worstMaxJpeg <= 24);
    }

    // RandomResizedCrop's boxes lie inside the image with an area fraction in [0.08, 1] and a ratio in [3/4, 4/3]
    // (up to the rounding of the sides to whole pixels); where no draw fits, the centre crop of torchvision's
    // fallback.
    void randomResizedCropBoxesKeepTheirRanges() {
        int fallbacks = 0;
        for (int64_t width : {40, 97, 500}) {
            for (int64_t height : {40, 120, 375}) {
                for (int64_t position = 0; position < 300; ++position) {
                    SampleRandom random(7, 3, position);
                    const CropBox b = randomResizedCropBox(width, height, random);
                    QVERIFY(b.x >= 0 && b.y >= 0 && b.width >= 1 && b.height >= 1);
                    QVERIFY(b.x + b.width <= double(width) && b.y + b.height <= double(height));
                    QCOMPARE(b.x, std::floor(b.x));
                    const double area = b.width * b.height / double(width * height);
                    const double ratio = b.width / b.height;
                    const double slack = 1.0 / std::min(b.width, b.height) * 2.5;   // ±0.5 px on each side
                    QVERIFY2(area <= 1.0 && area >= 0.08 * (1 - slack), qPrintable(QString::number(area)));
                    QVERIFY2(ratio >= 0.75 * (1 - slack) && ratio <= 4.0 / 3.0 * (1 + slack), qPrintable(QString::number(ratio)));
                }
            }
        }
        // 1000 × 10: no area in [0.08, 1] with a ratio in [3/4, 4/3] fits, so the centre 13 × 10 crop.
        for (int64_t position = 0; position < 20; ++position) {
            SampleRandom random(1, 0, position);
            const CropBox b = randomResizedCropBox(1000, 10, random);
            fallbacks += b.width == 13 && b.height == 10 && b.x == (1000 - 13) / 2 && b.y == 0;
        }
        QCOMPARE(fallbacks, 20);
        // Draws are a pure function of (seed, epoch, position).
        SampleRandom a(5, 2, 9), b(5, 2, 9), c(5, 2, 10), d(5, 3, 9);
        const uint64_t first = a.next();
        QCOMPARE(first, b.next());
        QVERIFY(first != c.next());
        QVERIFY(first != d.next());
    }

    // The same (seed, epoch, position) gives the same sample; any number of decode threads the same batches, also
    // when the stream starts mid-epoch (a resume); the flip happens about half the time and mirrors the crop.
    void samplesAreAPureFunctionOfSeedEpochAndPosition() {
        const DatasetSplits s = loadImageFolder(root_, 20, 0, 0, options());
        const Dataset train = withoutCorrupt(s.train);
        std::vector<int64_t> order(size_t(train.size()));
        for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(order.size() - 1 - i);
        const auto transform = SampleTransform::training(true, 11, 2);
        const int64_t batches = int64_t(order.size()) / 16;
        BatchStream inline0(train.files, order, 16, 0, batches, transform, 0);
        const auto [images0, index0] = drain(inline0);
        for (int64_t workers : {1, 3}) {
            BatchStream threaded(train.files, order, 16, 0, batches, transform, workers);
            const auto [images, index] = drain(threaded);
            QVERIFY(at::equal(images, images0));
            QVERIFY(at::equal(index, index0));
        }
        BatchStream resumed(train.files, order, 16, 5, batches, transform, 2);
        QVERIFY(at::equal(drain(resumed).first, images0.narrow(0, 5 * 16, (batches - 5) * 16)));
        BatchStream otherEpoch(train.files, order, 16, 0, batches, SampleTransform::training(true, 11, 3), 2);
        QVERIFY(!at::equal(drain(otherEpoch).first, images0));

        // Flip: with the flip off, the same crops unmirrored; mirrored, about half of them equal the flipped ones.
        auto noFlip = transform;
        noFlip.flip = false;
        BatchStream straight(train.files, order, 16, 0, batches, noFlip, 2);
        const at::Tensor unflipped = drain(straight).first;
        int64_t flipped = 0;
        for (int64_t i = 0; i < unflipped.size(0); ++i) {
            if (at::equal(images0[i], unflipped[i])) continue;
            QVERIFY(at::equal(images0[i], unflipped[i].flip({2})));
            ++flipped;
        }
        const double share = double(flipped) / double(unflipped.size(0));
        QVERIFY2(share > 0.3 && share < 0.7, qPrintable(QString::number(share)));
    }

    // A corrupt file stops with an error naming it; with skip it is dropped from its batch, counted once, and not
    // decoded again; the batches stay the same from one pass to the next.
    void corruptImageFailsOrIsSkipped() {
        const DatasetSplits failing = loadImageFolder(root_, 0, 0, 0, options(2, false));
        std::vector<int64_t> order(size_t(failing.train.size()));
        for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
        const int64_t batches = (int64_t(order.size()) + 31) / 32;
        const std::string error = dataErrorOf([&] {
            BatchStream stream(failing.train.files, order, 32, 0, batches, SampleTransform::evaluation(), 2);
            drain(stream);
        });
        QVERIFY2(error.find("banana/corrupt.jpg") != std::string::npos, error.c_str());
        QVERIFY2(error.find("Premature end") != std::string::npos, error.c_str());
        QVERIFY2(error.find("on_bad_image") != std::string::npos, error.c_str());

        const DatasetSplits skipping = loadImageFolder(root_, 0, 0, 0, options(2, true));
        BatchStream first(skipping.train.files, order, 32, 0, batches, SampleTransform::training(true, 1, 0), 2);
        const auto [images, index] = drain(first);
        QCOMPARE(index.size(0), skipping.train.size() - 1);
        QCOMPARE(skipping.train.files->bad->count(), int64_t(1));
        const auto found = skipping.train.files->bad->takeNew();
        QCOMPARE(found.size(), size_t(1));
        QVERIFY(found[0].path.find("corrupt.jpg") != std::string::npos);
        BatchStream second(skipping.train.files, order, 32, 0, batches, SampleTransform::training(true, 1, 0), 3);
        const auto [again, againIndex] = drain(second);
        QVERIFY(at::equal(again, images));
        QVERIFY(at::equal(againIndex, index));
        QVERIFY(skipping.train.files->bad->takeNew().empty());   // remembered, not found again
    }

    // Layout errors name the path and the expected layout.
    void layoutErrorsNameThePath() {
        const std::string bad = dir_.filePath("bad").toStdString();
        fs::create_directories(bad);
        std::string e = dataErrorOf([&] { loadImageFolder(bad, 0, 0, 0, options()); });
        QVERIFY2(e.find(bad + "/train not found") != std::string::npos && e.find("ImageNet's layout") != std::string::npos,
                 e.c_str());
        fs::create_directories(bad + "/train/a");
        fs::create_directories(bad + "/val/a");
        e = dataErrorOf([&] { loadImageFolder(bad, 0, 0, 0, options()); });
        QVERIFY2(e.find(bad + "/train/a holds no .jpg") != std::string::npos, e.c_str());
        fs::copy_file(root_ + "/train/apple/grey.png", bad + "/train/a/x.png");
        fs::create_directories(bad + "/val/b");
        e = dataErrorOf([&] { loadImageFolder(bad, 0, 0, 0, options()); });
        QVERIFY2(e.find(bad + "/val differ") != std::string::npos && e.find("has b") != std::string::npos, e.c_str());
        e = dataErrorOf([&] { loadImageFolder(bad + "/nowhere", 0, 0, 0, options()); });
        QVERIFY2(e.find("does not exist") != std::string::npos, e.c_str());
    }

    // The spec's folder fields: read, validated with their paths, written back, and errors for other data sets.
    void specFields() {
        const auto ok = spec::parseRunSpec(nlohmann::json{
            {"data", {{"name", "folder"}, {"root", root_}, {"image_size", 64}, {"workers", 0},
                      {"normalize", "computed"}, {"on_bad_image", "skip"}, {"val_size", 10}}}});
        QVERIFY2(ok.ok(), ok.errorText().c_str());
        QCOMPARE(ok.spec->data.imageSize, int64_t(64));
        const nlohmann::json back = spec::toJson(*ok.spec)["data"];
        QCOMPARE(back["on_bad_image"].get<std::string>(), std::string("skip"));
        QVERIFY(!back.contains("pad"));
        QVERIFY(spec::parseRunSpec(spec::toJson(*ok.spec)).ok());
        const auto wrong = spec::parseRunSpec(nlohmann::json{
            {"data", {{"name", "folder"}, {"image_size", 8}, {"normalize", "mine"}, {"pad", 4}}}});
        const std::string text = wrong.errorText();
        QVERIFY2(text.find("data.root: is required for folder") != std::string::npos, text.c_str());
        QVERIFY2(text.find("data.image_size:") != std::string::npos, text.c_str());
        QVERIFY2(text.find("data.normalize: must be imagenet, computed") != std::string::npos, text.c_str());
        QVERIFY2(text.find("data.pad: does not apply to the folder data set") != std::string::npos, text.c_str());
        const auto elsewhere = spec::parseRunSpec(nlohmann::json{{"data", {{"name", "synthetic"}, {"workers", 2}}}});
        QVERIFY2(elsewhere.errorText().find("data.workers: applies to the folder data set only") != std::string::npos,
                 elsewhere.errorText().c_str());
    }

    // A tiny run on the fixture: 32 px, resnet8, 2 epochs × 3 steps, two decode threads, the corrupt file
    // skipped and reported; stopped after epoch 1 and resumed, it writes the metrics of an uninterrupted run. Its
    // class names are stored with it.
    void engineRunTrainsAndResumesExactly() {
        store::Store db(dir_.filePath("runs.sqlite").toStdString());
        const int64_t straight = trainsAndResumesExactly(db, runSpec("folder-run", nlohmann::json::object()));
        if (QTest::currentTestFailed()) return;
        QCOMPARE(db.run(straight)->classNames, (std::vector<std::string>{"apple", "banana", "cherry", "damson"}));
        bool named = false, counted = false;
        for (const auto& event : db.events(straight)) {
            named |= event.level == "warn" && event.message.find("skipped image") != std::string::npos &&
                     event.message.find("corrupt.jpg") != std::string::npos;
            counted |= event.message.find("1 image files skipped so far") != std::string::npos;
        }
        QVERIFY(named);   // the evaluation of the validation or training files meets it, or a training batch
        QVERIFY(counted);
    }

    // The "done when": KD from a teacher saved by PyTorch's torch.save (RepDistiller's resnet8 for the
    // fixture's 4 classes, make_pth_teacher.py) on the image folder trains and resumes exactly.
    void kdFromAPyTorchTeacherTrainsAndResumesExactly() {
        const QString pthDir = dir_.filePath("pth");
        QVERIFY(QDir().mkpath(pthDir));
        QProcess python;
        python.start(kPython, {QStringLiteral(DISTILLERY_SOURCE_DIR) + "/tests/fixtures/make_pth_teacher.py", pthDir});
        QVERIFY(python.waitForFinished(-1));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const std::string teacherFile = pthDir.toStdString() + "/resnet8_4classes.pth";

        store::Store db(dir_.filePath("kd-runs.sqlite").toStdString());
        const int64_t straight = trainsAndResumesExactly(
            db, runSpec("folder-kd", {{"teacher", {{"model", "resnet8"}, {"state_dict", teacherFile}}},
                                      {"method", {{"name", "kd"}}}}));
        if (QTest::currentTestFailed()) return;
        bool loaded = false;
        for (const auto& event : db.events(straight))
            loaded |= event.message.find("teacher resnet8 from state dict \"" + teacherFile) != std::string::npos;
        QVERIFY(loaded);
        const auto kd = db.metrics(straight, "train/loss/kd");
        QCOMPARE(kd.size(), size_t(6));
        for (const auto& point : kd) QVERIFY(std::isfinite(point.value) && point.value > 0);
    }

private:
    // The fixture's tiny run: 32 px, resnet8 student, 2 epochs × 3 steps, two decode threads, the corrupt file
    // skipped; extra holds the fields to add (a teacher, a method).
    spec::RunSpec runSpec(const std::string& name, const nlohmann::json& extra) const {
        nlohmann::json json{{"name", name},
                            {"data", {{"name", "folder"}, {"root", root_}, {"image_size", kSize}, {"workers", 2},
                                      {"val_size", 16}, {"on_bad_image", "skip"}, {"normalize", "computed"}}},
                            {"student", {{"model", "resnet8"}}},
                            {"epochs", 2},
                            {"batch_size", 16},
                            {"max_steps_per_epoch", 3},
                            {"eval_batch_size", 32},
                            {"log_every", 1},
                            {"threads", 1},
                            {"seed", 3}};
        json.update(extra);
        auto parsed = spec::parseRunSpec(json);
        if (!parsed.ok()) qFatal("%s", parsed.errorText().c_str());
        return *parsed.spec;
    }

    // Trains spec straight through, then again stopped in epoch 2 after its first step and resumed from the
    // checkpoint; both runs must have written the same metrics. Returns the straight run's id.
    int64_t trainsAndResumesExactly(store::Store& db, const spec::RunSpec& spec) {
        const int64_t straight = spec::queueRun(db, spec);
        db.claimRun(straight, 1, "test", "cpu");
        [&] { QCOMPARE(testing::train(db, straight, spec), engine::Outcome::Finished); }();

        const int64_t interrupted = spec::queueRun(db, spec);
        db.claimRun(interrupted, 1, "test", "cpu");
        RecordingSink sink;
        sink.stopAfterStep = 4;   // epoch 2, after its first step
        [&] { QCOMPARE(testing::train(db, interrupted, spec, &sink), engine::Outcome::Killed); }();
        engine::Trainer::clearStop();
        [&] { QVERIFY(db.reclaimRun(interrupted, 2, "test", "cpu")); }();
        [&] { QCOMPARE(testing::train(db, interrupted, spec, nullptr, true), engine::Outcome::Finished); }();

        const auto keys = db.metricKeys(straight);
        [&] { QVERIFY(std::find(keys.begin(), keys.end(), "val/acc1") != keys.end()); }();
        const std::string difference = testing::metricsDifference(db, straight, interrupted);
        [&] { QVERIFY2(difference.empty(), difference.c_str()); }();
        const auto loss = db.metrics(straight, "train/loss");
        [&] { QCOMPARE(loss.size(), size_t(6)); }();
        for (const auto& point : loss) [&] { QVERIFY(std::isfinite(point.value)); }();
        return straight;
    }
};

QTEST_GUILESS_MAIN(TestImageFolder)
#include "test_image_folder.moc"
