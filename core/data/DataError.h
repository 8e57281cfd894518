#pragma once
// A malformed or missing data file. The message names the file and what was expected. Apart from Dataset.h so
// that the torch-free image decoding (ImageFiles) can throw it.
#include <stdexcept>

namespace distillery::data {

class DataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace distillery::data
