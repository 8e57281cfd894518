#pragma once
// Named points where a test can kill the engine with SIGKILL, to prove that a kill at that moment
// loses nothing: DISTILLERY_CRASH_AT="NAME:N" kills the process the Nth time it reaches NAME (N = 1
// when omitted). Unset, every point costs one branch. The points:
//   step              a training step, after the backward pass and before the optimiser step
//   eval              an evaluation, between the validation split and the test set
//   checkpoint_write  a checkpoint file half written (its temporary file)
//   checkpoint_swap   a checkpoint written, while the previous one is being kept as *.prev
//   commit            a store transaction of metrics and diagnostics, before COMMIT
//   epoch_end         an epoch's checkpoint written and recorded, before anything else
// Likewise DISTILLERY_POISON_LOSS="TERM:STEP" makes the loss term TERM NaN at training step STEP, for
// the tests of the engine's handling of non-finite losses.
#include <cstdint>
#include <string>

namespace distillery::engine {

// Reads DISTILLERY_CRASH_AT once and hooks the store's commit. Call at the start of main().
void installCrashPoints();
void crashPoint(const char* name);
// The loss term to poison at this step, or "" (almost always).
const std::string& poisonedLossTerm(int64_t step);

}  // namespace distillery::engine
