#pragma once
// The store's schema, as forward migrations keyed on PRAGMA user_version.
#include <vector>

namespace distillery::store {

// migrations()[i] takes a file from user_version i to i + 1.
const std::vector<const char*>& migrations();

}  // namespace distillery::store
