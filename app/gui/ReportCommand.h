#pragma once
// `distillery report`: a report of runs written without opening a window, for scripts and servers.
//
//   distillery report --db FILE --runs 3,4,7 --out r.html [--format html|md|pdf|csv|latex]
//                     [--metrics val/acc1,train/loss] [--sections config,results,grouped,plots,diagnostics]
//                     [--title TEXT] [--plot-images png|svg] [--plot-size 800x450]
#include <QStringList>

namespace distillery::app {

// arguments: the command line after "report". Needs a QApplication (plots are drawn with QCustomPlot);
// without a display, create it on the offscreen platform. Messages go to stderr. Returns 0 when the
// report was written, 2 for a usage error, 1 when it could not be made.
int runReportCommand(const QStringList& arguments);

}  // namespace distillery::app
