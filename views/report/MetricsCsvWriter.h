#pragma once
// The metrics of runs as CSV in long format, one row per stored point (never down-sampled):
//   run_id,run_name,key,step,epoch,wall_time,value
// Fields are quoted as RFC 4180 says: a field holding a comma, a quote or a line break is put in
// double quotes, with its quotes doubled. Values keep every digit (shortest exact representation).
//
// Beside it, "<name>_confusion.csv" holds the runs' per-class results in the same long format, one row
// per stored (non-zero) confusion cell, class indices as the data set's labels:
//   run_id,split,model,step,actual,predicted,count
// per run by split (val, test), model (student: every evaluation; teacher: the frozen teacher's newest
// cells), step, actual class, predicted class. A run that recorded none has no rows.
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
    static QString confusionHeader();             // "run_id,split,model,step,actual,predicted,count"
    static QString confusionFileFor(const QString& csvPath);   // "<folder>/<name>_confusion.csv"
    static QString field(const QString& text);    // quoted when it must be
    static QString number(double value);          // shortest text that reads back as the same double

    // Writes the header and the points of runIds (in that order; per run by key, then step) to out.
    // maxRows >= 0 stops after that many points (the page's preview). Returns the points written.
    // Throws ReportError on a store or device failure.
    static qint64 write(const store::Store& store, const QList<qint64>& runIds, QIODevice& out, qint64 maxRows = -1);

    // Writes the confusion header and the cells of runIds to out; returns the cells written. Throws
    // ReportError on a store or device failure.
    static qint64 writeConfusion(const store::Store& store, const QList<qint64>& runIds, QIODevice& out);

    // Opens the store, checks the ids and writes the file and its confusion file, each atomically.
    // Returns the metric points written. Throws ReportError.
    static qint64 writeFile(const QString& storePath, const QList<qint64>& runIds, const QString& path);
};

}  // namespace distillery::views
