#pragma once
// The names of a run's classes, by label index: what the Live page's Classes tab and the report print
// for each class. They come from the names the engine stored with the run (an image folder's class folders, as
// they were when it trained), else from the run's spec (spec::classNames of its data set), the one place
// that knows how many classes there are: the stored confusion cells are sparse.
#include <QStringList>

#include "store/StoreTypes.h"

namespace distillery::views {

// From the spec JSON; a spec this build cannot read (written by another version) falls back to the
// data set named in the run's row, which gives the class count of every data set but synthetic.
// Empty when neither tells (the caller then counts classes from the cells).
QStringList runClassNames(const store::RunRow& run);

// names[index], or "class N" beyond the list.
QString className(const QStringList& names, qint64 index);

}  // namespace distillery::views
