#pragma once
// The method registry: one row per distillation method, name → factory, in the order of the method
// catalog (spec/Catalog.cpp), which declares each method's parameters. Adding a method is its files,
// a catalog entry and a row here; tests/methods/test_registry.cpp checks the two lists against each other.
#include <memory>
#include <string>
#include <vector>

#include "methods/Distiller.h"

namespace distillery::methods {

// Builds one method from its declared parameters; throws spec::FieldError for a field the nets
// cannot honour (a stage the student lacks) and std::invalid_argument for other impossible builds.
using MethodFactory = std::shared_ptr<Distiller> (*)(const MethodBuild& build);

// The factory registered under `name`, or nullptr.
const MethodFactory* findFactory(const std::string& name);
// Every registered name, in the registry's order.
std::vector<std::string> registeredMethods();

}  // namespace distillery::methods
