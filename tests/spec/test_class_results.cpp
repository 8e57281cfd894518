// Per-class results: the class names of each data set in its documented label order, the dense
// confusion matrix made from the store's sparse cells (row-normalised percentages by hand), and one
// evaluation read back from a store with student cells at two steps and teacher cells at one.
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include "spec/Catalog.h"
#include "spec/RunSpec.h"
#include "store/ClassResults.h"
#include "store/ConfusionMatrix.h"
#include "store/Store.h"

using namespace distillery;

namespace {

spec::DataSpec dataNamed(const std::string& name) {
    spec::DataSpec data;
    data.name = name;
    return data;
}

store::ConfusionCell cell(int64_t runId, int64_t step, const std::string& split, const std::string& model,
                          int64_t actual, int64_t predicted, int64_t count) {
    return {runId, step, split, model, actual, predicted, count};
}

}  // namespace

class TestClassResults : public QObject {
    Q_OBJECT

private slots:
    void classNamesFollowEachDataSet() {
        // Fashion-MNIST's README, label 0 to 9.
        QCOMPARE(spec::classNames(dataNamed("fashion-mnist")),
                 (std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                           "Sneaker", "Bag", "Ankle boot"}));
        QCOMPARE(spec::classNames(dataNamed("mnist")),
                 (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
        // CIFAR-10's batches.meta.txt.
        QCOMPARE(spec::classNames(dataNamed("cifar10")),
                 (std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                           "ship", "truck"}));
        const std::vector<std::string> cifar100 = spec::classNames(dataNamed("cifar100"));
        QCOMPARE(cifar100.size(), size_t(100));
        QCOMPARE(cifar100.front(), std::string("class 0"));
        QCOMPARE(cifar100.back(), std::string("class 99"));
        spec::DataSpec synthetic = dataNamed("synthetic");
        synthetic.numClasses = 3;
        QCOMPARE(spec::classNames(synthetic), (std::vector<std::string>{"class 0", "class 1", "class 2"}));
        // As many names as the data shape has classes, for every data set.
        for (const std::string& name : spec::datasetNames())
            QCOMPARE(int64_t(spec::classNames(dataNamed(name)).size()), spec::dataShape(dataNamed(name)).numClasses);
    }

    void confusionMatrixIsRowNormalised() {
        // Class 0: 8 right, 2 as class 2 (10 samples); class 1: 1 right, 3 as class 0 (4); class 2: none.
        const store::ConfusionMatrix m(3, {cell(1, 5, "val", "student", 0, 0, 8), cell(1, 5, "val", "student", 0, 2, 2),
                                           cell(1, 5, "val", "student", 1, 0, 3), cell(1, 5, "val", "student", 1, 1, 1),
                                           cell(1, 5, "val", "student", 7, 0, 50)});   // outside 3 classes: left out
        QCOMPARE(m.classes(), int64_t(3));
        QCOMPARE(m.total(), int64_t(14));
        QCOMPARE(m.samples(0), int64_t(10));
        QCOMPARE(m.samples(1), int64_t(4));
        QCOMPARE(m.samples(2), int64_t(0));
        QCOMPARE(m.count(0, 2), int64_t(2));
        QCOMPARE(m.count(2, 0), int64_t(0));
        QCOMPARE(m.rowPercent(0, 2), std::optional<double>(20.0));
        QCOMPARE(m.rowPercent(1, 0), std::optional<double>(75.0));
        QCOMPARE(m.rowPercent(1, 2), std::optional<double>(0.0));
        QCOMPARE(m.accuracy(0), std::optional<double>(80.0));
        QCOMPARE(m.accuracy(1), std::optional<double>(25.0));
        QVERIFY(!m.accuracy(2));   // no samples: nothing to divide by
        QVERIFY(!m.rowPercent(-1, 0));
        QVERIFY(store::ConfusionMatrix().empty());
    }

    void oneEvaluationReadsBack() {
        QTemporaryDir dir;
        store::Store store(dir.filePath(QStringLiteral("classes.sqlite")).toStdString());
        store::NewRun run;
        run.name = "classes";
        run.specJson = "{}";
        const int64_t id = store.insertRun(run);
        const int64_t other = store.insertRun(run);
        store::RowBatch batch;
        // Student at steps 10 and 20, teacher at 10; agreement at 20 only; another run's cells.
        batch.confusion = {cell(id, 10, "test", "student", 0, 0, 1), cell(id, 10, "test", "student", 1, 0, 4),
                           cell(id, 10, "test", "teacher", 0, 0, 5), cell(id, 10, "test", "teacher", 1, 1, 3),
                           cell(id, 10, "test", "teacher", 1, 2, 1), cell(id, 20, "test", "student", 0, 0, 4),
                           cell(id, 20, "test", "student", 0, 1, 1), cell(id, 20, "test", "student", 1, 2, 4),
                           cell(other, 30, "test", "student", 0, 0, 9)};
        batch.classAgreement = {{id, 20, "test", 0, 3, 5}, {id, 20, "test", 1, 1, 4}};
        store.writeBatch(batch);

        const store::ClassResults newest = store::ClassResults::load(store, id, "test", 4);
        QVERIFY(newest.recorded());
        QCOMPARE(newest.step, int64_t(20));
        QCOMPARE(newest.classes(), int64_t(4));   // the count given, not the largest class seen
        QCOMPARE(newest.student.accuracy(0), std::optional<double>(80.0));
        QCOMPARE(newest.student.rowPercent(1, 2), std::optional<double>(100.0));
        QVERIFY(newest.teacher.has_value());
        QCOMPARE(newest.teacherStep, int64_t(10));
        QCOMPARE(newest.teacher->accuracy(1), std::optional<double>(75.0));
        QCOMPARE(newest.agreement.size(), size_t(4));
        QCOMPARE(newest.agreement[0], std::optional<double>(60.0));
        QCOMPARE(newest.agreement[1], std::optional<double>(25.0));
        QVERIFY(!newest.agreement[2]);

        const store::ClassResults older = store::ClassResults::load(store, id, "test", 4, 10);
        QCOMPARE(older.step, int64_t(10));
        QCOMPARE(older.student.accuracy(1), std::optional<double>(0.0));
        QVERIFY(older.agreement.empty());   // none recorded at step 10

        // A spec that cannot tell the class count: the largest class in the cells, teacher's included.
        QCOMPARE(store::ClassResults::load(store, id, "test", 0, 10).classes(), int64_t(3));
        QVERIFY(!store::ClassResults::load(store, id, "val", 4).recorded());
        QVERIFY(!store::ClassResults::load(store, id, "test", 4, 15).recorded());
        QVERIFY(!store::ClassResults::load(store, other, "test", 4).teacher.has_value());
    }
};

QTEST_GUILESS_MAIN(TestClassResults)
#include "test_class_results.moc"
