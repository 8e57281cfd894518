#pragma once
// An image folder's files as the engine trains on them (data.name "folder"): ROOT/train/CLASS/* and
// ROOT/val/CLASS/*, ImageNet's layout. No torch and no Qt: the engine's ImageFolder builds its splits from
// it and the designer's preview shows it, so both judge a folder the same way.
#include <cstdint>
#include <string>
#include <vector>

namespace distillery::spec {

// What an image folder must look like, for error messages.
inline constexpr const char* kImageFolderLayout =
    "an image folder needs ROOT/train/CLASS/*.jpg|*.jpeg|*.png and ROOT/val/CLASS/… with the same class folders "
    "(ImageNet's layout)";

struct ImageFolderSplitFiles {
    std::vector<std::string> paths;   // class by class; within a class sorted by name
    std::vector<int64_t> labels;      // the class index of each path
};

struct ImageFolderListing {
    // Why the folder cannot be trained on ("data.root: … not found; an image folder needs …"), naming the path
    // and how to fix it; empty when it can. The lists below hold what was read before the problem was found.
    std::string problem;
    std::vector<std::string> classes;   // ROOT/train's class folders (imageFolderClasses)
    ImageFolderSplitFiles train;        // ROOT/train
    ImageFolderSplitFiles val;          // ROOT/val: the test split
};

// Lists the folder. Files match *.jpg, *.jpeg, *.png in any letter case. A problem: no root, no train/ or val/,
// no class folders, a class folder without images or that cannot be read, val/ classes that differ from train/'s.
ImageFolderListing listImageFolder(const std::string& root);

}  // namespace distillery::spec
