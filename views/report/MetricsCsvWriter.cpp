#include "MetricsCsvWriter.h"

#include <cmath>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSaveFile>

#include "ReportData.h"
#include "ReportStatistics.h"
#include "store/Store.h"

namespace distillery::views {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("MetricsCsvWriter", text); }

// Writes text to out whole, or throws.
void put(QIODevice& out, const QString& text) {
    const QByteArray bytes = text.toUtf8();
    if (out.write(bytes) != bytes.size())
        throw ReportError(tr("cannot write the CSV: %1").arg(out.errorString()).toStdString());
}

// Writes through QSaveFile: the file appears whole, or not at all.
template <typename Write>
void writeAtomically(const QString& path, Write write) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw ReportError(tr("cannot write %1: %2. Choose a folder you can write to.").arg(path, file.errorString())
                              .toStdString());
    write(file);
    if (!file.commit())
        throw ReportError(tr("cannot write %1: %2. Check the free space and the folder's permissions.")
                              .arg(path, file.errorString()).toStdString());
}

const char* const kSplits[] = {"val", "test"};

// A statistics figure: empty when it could not be computed (NaN).
QString figure(double value) { return std::isfinite(value) ? MetricsCsvWriter::number(value) : QString(); }
}  // namespace

QString MetricsCsvWriter::header() { return QStringLiteral("run_id,run_name,key,step,epoch,wall_time,value"); }

QString MetricsCsvWriter::confusionHeader() { return QStringLiteral("run_id,split,model,step,actual,predicted,count"); }

QString MetricsCsvWriter::confusionFileFor(const QString& csvPath) {
    const QFileInfo info(csvPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral("_confusion.csv"));
}

QString MetricsCsvWriter::statisticsHeader() {
    return QStringLiteral("baseline,configuration,n,mean,std,ci_low,ci_high,diff,diff_ci_low,diff_ci_high,test,t,df,p,"
                          "p_holm,significant,reason");
}

QString MetricsCsvWriter::statisticsFileFor(const QString& csvPath) {
    const QFileInfo info(csvPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral("_statistics.csv"));
}

QString MetricsCsvWriter::field(const QString& text) {
    const bool needsQuotes = text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
                             text.contains(QLatin1Char('\n')) || text.contains(QLatin1Char('\r'));
    if (!needsQuotes) return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString MetricsCsvWriter::number(double value) {
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

qint64 MetricsCsvWriter::write(const store::Store& store, const QList<qint64>& runIds, QIODevice& out, qint64 maxRows) {
    put(out, header() + QLatin1Char('\n'));
    qint64 rows = 0;
    try {
        for (qint64 runId : runIds) {
            const std::optional<store::RunRow> run = store.run(runId);
            if (!run) continue;   // checked by the caller; a run deleted meanwhile has no points either
            const QString prefix = QString::number(runId) + QLatin1Char(',') +
                                   field(QString::fromStdString(run->name)) + QLatin1Char(',');
            for (const std::string& key : store.metricKeys(runId)) {
                const QString keyPrefix = prefix + field(QString::fromStdString(key)) + QLatin1Char(',');
                // One key at a time keeps memory at one series, however many runs are exported.
                QString chunk;
                for (const store::MetricPoint& point : store.metrics(runId, key)) {
                    if (maxRows >= 0 && rows >= maxRows) {
                        put(out, chunk);
                        return rows;
                    }
                    chunk += keyPrefix + QString::number(point.step) + QLatin1Char(',') + number(point.epoch) +
                             QLatin1Char(',') + number(point.wallTime) + QLatin1Char(',') + number(point.value) +
                             QLatin1Char('\n');
                    ++rows;
                    if (chunk.size() > (1 << 16)) {
                        put(out, chunk);
                        chunk.clear();
                    }
                }
                put(out, chunk);
            }
        }
    } catch (const ReportError&) {
        throw;
    } catch (const std::exception& error) {
        throw ReportError(tr("cannot read the metrics for the CSV: %1").arg(QString::fromUtf8(error.what())).toStdString());
    }
    return rows;
}

qint64 MetricsCsvWriter::writeConfusion(const store::Store& store, const QList<qint64>& runIds, QIODevice& out) {
    put(out, confusionHeader() + QLatin1Char('\n'));
    qint64 rows = 0;
    const auto putCells = [&](const std::vector<store::ConfusionCell>& cells) {
        // One evaluation at a time keeps memory at one matrix, however many runs are exported.
        QString chunk;
        for (const store::ConfusionCell& cell : cells)
            chunk += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                         .arg(QString::number(cell.runId), field(QString::fromStdString(cell.split)),
                              field(QString::fromStdString(cell.model)), QString::number(cell.step),
                              QString::number(cell.actual), QString::number(cell.predicted),
                              QString::number(cell.count));
        put(out, chunk);
        rows += static_cast<qint64>(cells.size());
    };
    try {
        for (qint64 runId : runIds)
            for (const char* split : kSplits) {
                for (int64_t step : store.confusionSteps(runId, split))
                    putCells(store.confusion(runId, split, "student", step));
                putCells(store.confusion(runId, split, "teacher"));
            }
    } catch (const ReportError&) {
        throw;
    } catch (const std::exception& error) {
        throw ReportError(
            tr("cannot read the confusion cells for the CSV: %1").arg(QString::fromUtf8(error.what())).toStdString());
    }
    return rows;
}

qint64 MetricsCsvWriter::writeStatistics(const ReportStatistics& statistics, QIODevice& out) {
    QString text = statisticsHeader() + QLatin1Char('\n');
    qint64 rows = 0;
    for (const ConfigurationStatistics& table : statistics.perBaseline) {
        const QString baseline = field(table.rows.at(table.baseline).label);
        for (const ConfigurationRow& row : table.rows) {
            const stats::Sample& sample = row.sample;
            QStringList fields{baseline, field(row.label), QString::number(row.n()), figure(sample.mean),
                               figure(sample.std), figure(sample.ciLow), figure(sample.ciHigh)};
            QString reason = QString::fromStdString(sample.reason);
            if (row.isBaseline) {
                fields << QString() << QString() << QString() << QString() << QString() << QString() << QString()
                       << QString() << QString();
            } else {
                const stats::Comparison& test = row.test();
                if (!test.possible) reason = QString::fromStdString(test.reason);
                fields << figure(test.difference) << figure(test.ciLow) << figure(test.ciHigh)
                       << (test.possible ? (row.testUsed == stats::TestKind::Paired ? QStringLiteral("paired")
                                                                                    : QStringLiteral("welch"))
                                         : QString())
                       << figure(test.t) << figure(test.df) << figure(test.p) << figure(test.pHolm)
                       << (test.possible ? QString::number(row.significant ? 1 : 0) : QString());
            }
            fields << field(reason);
            text += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
            ++rows;
        }
    }
    put(out, text);
    return rows;
}

qint64 MetricsCsvWriter::writeFile(const QString& storePath, const QList<qint64>& runIds, const QString& path,
                                   const QStringList& baselines) {
    store::Store store = ReportData::openStore(storePath);
    ReportData::checkRunIds(store, storePath, runIds);
    QList<qint64> unique;
    for (qint64 id : runIds)
        if (!unique.contains(id)) unique.append(id);
    // Before any file is written: an unknown baseline leaves nothing half done.
    ReportStatistics statistics;
    try {
        statistics = ReportStatistics::compute(loadComparedRuns(store, unique), baselines);
    } catch (const ReportError&) {
        throw;
    } catch (const std::exception& error) {
        throw ReportError(tr("cannot read the runs of %1: %2").arg(storePath, QString::fromUtf8(error.what()))
                              .toStdString());
    }
    qint64 rows = 0;
    writeAtomically(path, [&](QIODevice& file) { rows = write(store, unique, file); });
    writeAtomically(confusionFileFor(path), [&](QIODevice& file) { writeConfusion(store, unique, file); });
    writeAtomically(statisticsFileFor(path), [&](QIODevice& file) { writeStatistics(statistics, file); });
    return rows;
}

}  // namespace distillery::views
