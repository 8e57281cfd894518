#include "StoreSession.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QThread>

#include "ClusterFollower.h"
#include "Counted.h"
#include "DiagnosticsFeed.h"
#include "RunScheduler.h"
#include "spec/RunQueue.h"
#include "spec/StudyQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::views {

namespace {
const char* kLastStoreKey = "store/lastPath";
const char* kRecentStoresKey = "store/recent";
constexpr int kRecentStoresKept = 8;
}  // namespace

StoreSession::StoreSession(Options options, QObject* parent) : QObject(parent), options_(std::move(options)) {
    StorePoller::registerMetaTypes();
    DiagnosticsFeed::registerMetaTypes();
}

StoreSession::~StoreSession() { close(); }

QString StoreSession::enginePath() const {
    return options_.enginePath.isEmpty() ? RunScheduler::defaultEnginePath() : options_.enginePath;
}

bool StoreSession::open(const QString& path, int maxConcurrent, QString* error) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    std::unique_ptr<store::Store> store;
    try {
        // The GUI thread opens the file first so that it is created and migrated before the
        // readers' read-only connections and the engines see it.
        store = std::make_unique<store::Store>(absolute.toStdString());
    } catch (const std::exception& failure) {
        if (error)
            *error = tr("Cannot open the results store %1:\n%2\n\nChoose another file with File ▸ Open store…, "
                        "or check that the folder exists and is writable.")
                         .arg(absolute, QString::fromUtf8(failure.what()));
        return false;
    }

    close();
    store_ = std::move(store);
    path_ = absolute;
    try {
        scheduler_ = new RunScheduler(path_, enginePath(), this);
    } catch (const std::exception& failure) {
        if (error) *error = tr("Cannot open %1 for training runs: %2").arg(path_, QString::fromUtf8(failure.what()));
        store_.reset();
        path_.clear();
        return false;
    }
    scheduler_->setMaxConcurrent(maxConcurrent);
    connect(scheduler_, &RunScheduler::progressed, this, &StoreSession::progressed);
    connect(scheduler_, &RunScheduler::runEnded, this, &StoreSession::runEnded);
    connect(scheduler_, &RunScheduler::queueChanged, this, &StoreSession::queueChanged);
    connect(scheduler_, &RunScheduler::engineUnavailable, this, &StoreSession::engineUnavailable);
    // Runs on a Slurm cluster are followed even with --no-queue: merging their shards trains nothing.
    cluster_ = new ClusterFollower(store_.get(), path_, enginePath(), this);
    cluster_->setIntervalMs(options_.clusterIntervalMs);
    startReaders();
    rememberStore(path_);
    emit opened();
    if (options_.trainQueuedRuns) scheduler_->enqueueQueuedRuns();
    return true;
}

namespace {

// Moves a reader (a StorePoller or a DiagnosticsFeed) to a thread of its own, where it starts and,
// when the thread quits, is deleted.
template <typename Reader>
QThread* startOnThread(Reader* reader, const QString& name, QObject* parent) {
    auto* thread = new QThread(parent);
    thread->setObjectName(name);
    reader->moveToThread(thread);
    QObject::connect(thread, &QThread::started, reader, &Reader::start);
    QObject::connect(thread, &QThread::finished, reader, &QObject::deleteLater);
    thread->start();
    return thread;
}

}  // namespace

QString StoreSession::lastStorePath() { return QSettings().value(kLastStoreKey).toString(); }

QStringList StoreSession::recentStores() { return QSettings().value(kRecentStoresKey).toStringList(); }

void StoreSession::rememberStore(const QString& path) {
    QSettings settings;
    settings.setValue(kLastStoreKey, path);
    QStringList recent = recentStores();
    recent.removeAll(path);
    recent.prepend(path);
    settings.setValue(kRecentStoresKey, QStringList(recent.mid(0, kRecentStoresKept)));
}

void StoreSession::startReaders() {
    poller_ = new StorePoller(path_, options_.pollIntervalMs);
    connect(poller_, &StorePoller::runsChanged, this, &StoreSession::runsChanged);
    connect(poller_, &StorePoller::historyLoaded, this, &StoreSession::historyLoaded);
    connect(poller_, &StorePoller::pointsAppended, this, &StoreSession::pointsAppended);
    connect(poller_, &StorePoller::failed, this, &StoreSession::pollFailed);
    pollerThread_ = startOnThread(poller_, QStringLiteral("StorePoller"), this);
    feed_ = new DiagnosticsFeed(path_, options_.pollIntervalMs);
    feedThread_ = startOnThread(feed_, QStringLiteral("DiagnosticsFeed"), this);
}

void StoreSession::close() {
    if (!store_ && !pollerThread_ && !feedThread_ && !scheduler_) return;
    emit aboutToClose();
    for (QThread** thread : {&pollerThread_, &feedThread_}) {
        if (!*thread) continue;
        (*thread)->quit();
        (*thread)->wait();   // the reader is deleted on the thread's way out (deleteLater)
        delete *thread;
        *thread = nullptr;
    }
    poller_ = nullptr;
    feed_ = nullptr;
    delete cluster_;   // before the store it reads
    cluster_ = nullptr;
    if (scheduler_) {
        scheduler_->disconnect(this);
        delete scheduler_;   // stops the training engines: their runs are marked killed and can be resumed
        scheduler_ = nullptr;
    }
    store_.reset();
    path_.clear();
    emit closed();
}

void StoreSession::watchRuns(const QList<qint64>& runIds) {
    if (poller_) QMetaObject::invokeMethod(poller_, [poller = poller_, runIds] { poller->watchRuns(runIds); });
}

void StoreSession::pollNow() {
    if (poller_) QMetaObject::invokeMethod(poller_, &StorePoller::pollNow, Qt::QueuedConnection);
}

bool StoreSession::refuseWhenClosed(QString* error) const {
    if (store_) return false;
    if (error) *error = tr("No results store is open. Open or create one with File ▸ Open store… first.");
    return true;
}

QList<qint64> StoreSession::queueRunSpecs(const QList<QByteArray>& specJsons, QString* error) {
    if (refuseWhenClosed(error)) return {};
    std::vector<spec::RunSpec> specs;
    QStringList problems;
    for (int i = 0; i < specJsons.size(); ++i) {
        const spec::ParseResult parsed = spec::parseRunSpec(specJsons[i].toStdString());
        if (parsed.ok()) specs.push_back(*parsed.spec);
        else problems.append(tr("run %1:\n%2").arg(i + 1).arg(QString::fromStdString(parsed.errorText())));
    }
    if (!problems.isEmpty()) {
        if (error) *error = tr("No run was queued; fix these fields first:\n\n%1").arg(problems.join(QStringLiteral("\n")));
        return {};
    }
    return queueRuns(specs, error);
}

QList<qint64> StoreSession::queueStudy(const QByteArray& studyJson, QString* error) {
    if (refuseWhenClosed(error)) return {};
    const spec::ExperimentParse parsed = spec::parseExperiment(studyJson.toStdString());
    if (!parsed.ok() || !parsed.study) {
        if (error)
            *error = parsed.ok() ? tr("This is not a study (a JSON object with \"study\"); nothing was queued.")
                                 : tr("The study has %1; nothing was queued. Fix these fields first:\n\n%2")
                                       .arg(counted(parsed.errors.size(), tr("error"), tr("errors")),
                                            QString::fromStdString(parsed.errorText()));
        return {};
    }
    return queueStudyPlan(*parsed.study, error);
}

QList<qint64> StoreSession::queueRunsFromSpecFile(const QString& path, QString* error) {
    if (refuseWhenClosed(error)) return {};
    const spec::ExperimentParse parsed = spec::parseExperimentFile(path.toStdString());
    if (!parsed.ok()) {
        if (error)
            *error = tr("%1 has %2; no run was queued. Fix these fields and open the file again:\n\n%3")
                         .arg(QDir::toNativeSeparators(path), counted(parsed.errors.size(), tr("error"), tr("errors")),
                              QString::fromStdString(parsed.errorText()));
        return {};
    }
    if (parsed.runs.empty()) {
        if (error) *error = tr("%1 holds no runs. Add a run spec, or a \"runs\" list of them.").arg(path);
        return {};
    }
    if (parsed.study) return queueStudyPlan(*parsed.study, error, path);
    return queueRuns(parsed.runs, error, path);
}

QList<qint64> StoreSession::queueStudyPlan(const spec::StudyPlan& plan, QString* error, const QString& sourceFile) {
    QList<qint64> ids;
    try {
        // A study already in the store from the same file is continued: its runs come back, none twice.
        for (const int64_t id : spec::queueStudy(*store_, plan).runIds) ids.append(id);
        // Of a continued study only the runs still queued wait for the queue; finished and pruned ones
        // are kept, and an interrupted one is the user's to resume (the Queue panel offers it).
        if (options_.trainQueuedRuns)
            for (qint64 id : ids)
                if (const auto row = store_->run(id); row && row->status == store::RunStatus::Queued)
                    scheduler_->enqueue(id);
    } catch (const std::exception& failure) {
        if (error)
            *error = tr("The study “%1”%2 was not queued: %3")
                         .arg(QString::fromStdString(plan.name),
                              sourceFile.isEmpty() ? QString() : tr(" of %1").arg(QDir::toNativeSeparators(sourceFile)),
                              QString::fromUtf8(failure.what()));
        return {};
    }
    pollNow();
    return ids;
}

QList<qint64> StoreSession::queueRuns(const std::vector<spec::RunSpec>& runs, QString* error,
                                      const QString& sourceFile) {
    QList<qint64> ids;
    try {
        for (const spec::RunSpec& run : runs) ids.append(spec::queueRun(*store_, run));
    } catch (const std::exception& failure) {
        const QString what = QString::fromUtf8(failure.what());
        if (error)
            *error = sourceFile.isEmpty()
                         ? tr("Queued %1 of the %2 runs, then writing to %3 failed: %4")
                               .arg(ids.size()).arg(runs.size()).arg(path_, what)
                         : tr("Queued %1 of the %2 runs of %3, then writing to %4 failed: %5")
                               .arg(ids.size()).arg(runs.size()).arg(sourceFile, path_, what);
    }
    if (options_.trainQueuedRuns)
        for (qint64 id : ids) scheduler_->enqueue(id);
    pollNow();
    return ids;
}

bool StoreSession::deleteRuns(const QList<qint64>& runIds, QString* error) {
    if (refuseWhenClosed(error)) return false;
    bool deleted = true;
    try {
        for (qint64 id : runIds) {
            if (scheduler_) scheduler_->cancel(id);   // a queued one must not start while it disappears
            for (const store::CheckpointRow& checkpoint : store_->checkpoints(id))
                QFile::remove(QString::fromStdString(checkpoint.path));
            store_->deleteRun(id);
        }
    } catch (const std::exception& failure) {
        if (error) *error = tr("Deleting from %1 failed: %2").arg(path_, QString::fromUtf8(failure.what()));
        deleted = false;
    }
    pollNow();
    return deleted;
}

}  // namespace distillery::views
