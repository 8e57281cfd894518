#pragma once
// The metrics of runs as CSV in long format, one row per stored point (never down-sampled):
//   run_id,run_name,key,step,epoch,wall_time,value
// Fields are quoted as RFC 4180 says: a field holding a comma, a quote or a line break is put in
// double quotes, with its quotes doubled. Values keep every digit (shortest exact representation).
#include <QList>
#include <QString>

class QIODevice;

namespace distillery::store {
class Store;
}

namespace distillery::views {

class MetricsCsvWriter {
public:
    static QString header();                      // "run_id,run_name,key,step,epoch,wall_time,value"
    static QString field(const QString& text);    // quoted when it must be
    static QString number(double value);          // shortest text that reads back as the same double

    // Writes the header and the points of runIds (in that order; per run by key, then step) to out.
    // maxRows >= 0 stops after that many points (the page's preview). Returns the points written.
    // Throws ReportError on a store or device failure.
    static qint64 write(const store::Store& store, const QList<qint64>& runIds, QIODevice& out, qint64 maxRows = -1);

    // Opens the store, checks the ids and writes the file atomically. Throws ReportError.
    static qint64 writeFile(const QString& storePath, const QList<qint64>& runIds, const QString& path);
};

}  // namespace distillery::views
