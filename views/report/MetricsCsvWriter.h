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
//
// And "<name>_statistics.csv" the report's statistics (ReportStatistics), one row per (baseline,
// configuration), baselines in the order asked, configurations as the grouped table lists them:
//   baseline,configuration,n,mean,std,ci_low,ci_high,diff,diff_ci_low,diff_ci_high,test,t,df,p,p_holm,significant,reason
// n, mean, std and the CI (95 %) describe the configuration's finished runs; diff (its CI), test
// ("paired" or "welch"), t, df, p, p_holm and significant (1 or 0: p_holm < 0.05) compare it with the
// baseline and are empty on the baseline's own row. A figure that cannot be computed is empty, and
// reason says why in one sentence (the test's reason, else the configuration's own).
#include <QList>
#include <QString>
#include <QStringList>

class QIODevice;

namespace distillery::store {
class Store;
}

namespace distillery::views {

struct ReportStatistics;

class MetricsCsvWriter {
public:
    static QString header();                      // "run_id,run_name,key,step,epoch,wall_time,value"
    static QString confusionHeader();             // "run_id,split,model,step,actual,predicted,count"
    static QString confusionFileFor(const QString& csvPath);   // "<folder>/<name>_confusion.csv"
    static QString statisticsHeader();            // "baseline,configuration,n,…,significant,reason"
    static QString statisticsFileFor(const QString& csvPath);  // "<folder>/<name>_statistics.csv"
    static QString field(const QString& text);    // quoted when it must be
    static QString number(double value);          // shortest text that reads back as the same double

    // Writes the header and the points of runIds (in that order; per run by key, then step) to out.
    // maxRows >= 0 stops after that many points (the page's preview). Returns the points written.
    // Throws ReportError on a store or device failure.
    static qint64 write(const store::Store& store, const QList<qint64>& runIds, QIODevice& out, qint64 maxRows = -1);

    // Writes the confusion header and the cells of runIds to out; returns the cells written. Throws
    // ReportError on a store or device failure.
    static qint64 writeConfusion(const store::Store& store, const QList<qint64>& runIds, QIODevice& out);

    // Writes the statistics header and a row per (baseline, configuration) to out; returns the rows.
    // Throws ReportError on a device failure.
    static qint64 writeStatistics(const ReportStatistics& statistics, QIODevice& out);

    // Opens the store, checks the ids and the baselines (ReportRequest::baselines; empty: the default)
    // and writes the file, its confusion file and its statistics file, each atomically. Returns the
    // metric points written. Throws ReportError.
    static qint64 writeFile(const QString& storePath, const QList<qint64>& runIds, const QString& path,
                            const QStringList& baselines = {});
};

}  // namespace distillery::views
