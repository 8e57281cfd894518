#include "MetricsCsvWriter.h"

#include <QCoreApplication>
#include <QLocale>
#include <QSaveFile>

#include "ReportData.h"
#include "store/Store.h"

namespace distillery::views {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("MetricsCsvWriter", text); }
}  // namespace

QString MetricsCsvWriter::header() { return QStringLiteral("run_id,run_name,key,step,epoch,wall_time,value"); }

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
    const auto put = [&out](const QString& line) {
        const QByteArray bytes = line.toUtf8();
        if (out.write(bytes) != bytes.size())
            throw ReportError(tr("cannot write the CSV: %1").arg(out.errorString()).toStdString());
    };
    put(header() + QLatin1Char('\n'));
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
                        put(chunk);
                        return rows;
                    }
                    chunk += keyPrefix + QString::number(point.step) + QLatin1Char(',') + number(point.epoch) +
                             QLatin1Char(',') + number(point.wallTime) + QLatin1Char(',') + number(point.value) +
                             QLatin1Char('\n');
                    ++rows;
                    if (chunk.size() > (1 << 16)) {
                        put(chunk);
                        chunk.clear();
                    }
                }
                put(chunk);
            }
        }
    } catch (const ReportError&) {
        throw;
    } catch (const std::exception& error) {
        throw ReportError(tr("cannot read the metrics for the CSV: %1").arg(QString::fromUtf8(error.what())).toStdString());
    }
    return rows;
}

qint64 MetricsCsvWriter::writeFile(const QString& storePath, const QList<qint64>& runIds, const QString& path) {
    store::Store store = ReportData::openStore(storePath);
    ReportData::checkRunIds(store, storePath, runIds);
    QList<qint64> unique;
    for (qint64 id : runIds)
        if (!unique.contains(id)) unique.append(id);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw ReportError(tr("cannot write %1: %2. Choose a folder you can write to.").arg(path, file.errorString())
                              .toStdString());
    const qint64 rows = write(store, unique, file);
    if (!file.commit())
        throw ReportError(tr("cannot write %1: %2. Check the free space and the folder's permissions.")
                              .arg(path, file.errorString()).toStdString());
    return rows;
}

}  // namespace distillery::views
