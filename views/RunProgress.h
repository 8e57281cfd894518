#pragma once
// One progress line of the engine (`--progress json`), parsed: the line declared in
// spec/ProgressLine.h, as a value type for signals.
#include <QMetaType>

#include "spec/ProgressLine.h"

namespace distillery::views {

using RunProgress = spec::ProgressLine;

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::spec::ProgressLine)
