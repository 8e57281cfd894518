#include "MetricsCsvWriter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSaveFile>

#include "ReportData.h"
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
}  // namespace

QString MetricsCsvWriter::header() { return QStringLiteral("run_id,run_name,key,step,epoch,wall_time,value"); }

QString MetricsCsvWriter::confusionHeader() { return QStringLiteral("run_id,split,model,step,actual,predicted,count"); }

QString MetricsCsvWriter::confusionFileFor(const QString& csvPath) {
    const QFileInfo info(csvPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral("_confusion.csv"));
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

qint64 MetricsCsvWriter::writeFile(const QString& storePath, const QList<qint64>& runIds, const QString& path) {
    store::Store store = ReportData::openStore(storePath);
    ReportData::checkRunIds(store, storePath, runIds);
    QList<qint64> unique;
    for (qint64 id : runIds)
        if (!unique.contains(id)) unique.append(id);
    qint64 rows = 0;
    writeAtomically(path, [&](QIODevice& file) { rows = write(store, unique, file); });
    writeAtomically(confusionFileFor(path), [&](QIODevice& file) { writeConfusion(store, unique, file); });
    return rows;
}

}  // namespace distillery::views
