#include "spec/ImageFolderListing.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>

#include "spec/Catalog.h"

namespace distillery::spec {

namespace {

namespace fs = std::filesystem;

bool isImageFile(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Appends dir's class folders' images to files; returns the problem, or "".
std::string listFiles(const fs::path& dir, const std::vector<std::string>& classes, ImageFolderSplitFiles& files) {
    for (size_t c = 0; c < classes.size(); ++c) {
        const fs::path classDir = dir / classes[c];
        std::vector<std::string> paths;
        std::error_code error;
        for (fs::directory_iterator it(classDir, error), end; !error && it != end; it.increment(error)) {
            if (!it->is_directory(error) && isImageFile(it->path())) paths.push_back(it->path().string());
        }
        if (error) return "data.root: the folder " + classDir.string() + " cannot be read: " + error.message();
        if (paths.empty())
            return "data.root: the class folder " + classDir.string() + " holds no .jpg, .jpeg or .png file; " +
                   kImageFolderLayout + ". Remove the empty folder or add its images.";
        std::sort(paths.begin(), paths.end());
        for (auto& p : paths) {
            files.paths.push_back(std::move(p));
            files.labels.push_back(int64_t(c));
        }
    }
    return {};
}

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    const size_t shown = std::min<size_t>(names.size(), 5);
    for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

}  // namespace

ImageFolderListing listImageFolder(const std::string& root) {
    ImageFolderListing listing;
    const std::string layout = std::string("; ") + kImageFolderLayout + ".";
    std::error_code error;
    if (root.empty()) {
        listing.problem = "data.root: the folder data set needs data.root" + layout;
        return listing;
    }
    if (!fs::is_directory(root, error)) {
        listing.problem = "data.root: the folder " + root + " does not exist" + layout;
        return listing;
    }
    const fs::path trainDir = fs::path(root) / "train", valDir = fs::path(root) / "val";
    if (!fs::is_directory(trainDir, error)) {
        listing.problem = "data.root: " + trainDir.string() + " not found" + layout;
        return listing;
    }
    listing.classes = imageFolderClasses(trainDir.string());
    if (listing.classes.empty()) {
        listing.problem = "data.root: " + trainDir.string() + " holds no class folders" + layout;
        return listing;
    }
    listing.problem = listFiles(trainDir, listing.classes, listing.train);
    if (!listing.problem.empty()) return listing;
    if (!fs::is_directory(valDir, error)) {
        listing.problem = "data.root: " + valDir.string() + " not found (its images are the test split)" + layout;
        return listing;
    }
    const std::vector<std::string> valClasses = imageFolderClasses(valDir.string());
    if (valClasses != listing.classes) {
        const auto& classes = listing.classes;
        std::vector<std::string> missing, extra;
        std::set_difference(classes.begin(), classes.end(), valClasses.begin(), valClasses.end(), std::back_inserter(missing));
        std::set_difference(valClasses.begin(), valClasses.end(), classes.begin(), classes.end(), std::back_inserter(extra));
        std::string what;
        if (!missing.empty()) what += " it lacks " + listed(missing);
        if (!extra.empty()) what += std::string(missing.empty() ? "" : ";") + " it has " + listed(extra) + " that " +
                                    trainDir.string() + " has not";
        listing.problem = "data.root: the class folders of " + valDir.string() + " differ from those of " +
                          trainDir.string() + ":" + what + ". Both must hold the same class folders.";
        return listing;
    }
    listing.problem = listFiles(valDir, listing.classes, listing.val);
    return listing;
}

}  // namespace distillery::spec
