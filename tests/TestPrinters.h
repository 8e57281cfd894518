#pragma once
// How Qt Test prints the project's own types when a QCOMPARE fails.
#include <QtTest>

#include "store/StoreTypes.h"

namespace QTest {
template <>
inline char* toString(const distillery::store::RunStatus& status) {
    return qstrdup(distillery::store::statusName(status).c_str());
}
}  // namespace QTest
