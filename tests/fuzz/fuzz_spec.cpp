// The spec parser on arbitrary text: never a crash, a hang or undefined behaviour, and every spec it
// accepts writes back (toJson) to JSON that parses again to the same spec.
#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzFile.h"
#include "spec/RunSpec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace distillery;
    const std::string text(reinterpret_cast<const char*>(data), size);
    const spec::ExperimentParse experiment = spec::parseExperiment(text);
    const std::string errors = experiment.errorText();
    if (!experiment.ok() && errors.empty()) fuzz::fail("an experiment was refused without an error");
    // (nlohmann's messages start so; a field name the input chose may hold the same text)
    for (const spec::SpecError& e : experiment.errors)
        if (e.message.rfind("[json.exception", 0) == 0) fuzz::fail("raw nlohmann text as the message: " + e.message);
    for (const spec::RunSpec& run : experiment.runs) {
        const nlohmann::json written = spec::toJson(run);
        const spec::ParseResult again = spec::parseRunSpec(written.dump());
        if (!again.ok()) fuzz::fail("toJson wrote a spec that does not parse: " + again.errorText() + written.dump());
        if (spec::toJson(*again.spec) != written) fuzz::fail("toJson does not round-trip: " + written.dump());
    }
    return 0;
}
