#include "pictures.hpp"

#include <cstdio>

namespace fashion_demo {

using namespace kiln;

void write_confusion_matrix(const Tensor& logits, const Tensor& labels, const std::string& path) {
    const auto counts = plot::confusion_matrix(labels.to_labels(), argmax(logits, -1).to_labels(),
                                               static_cast<int64_t>(datasets::class_names().size()));
    plot::confusion_matrix_chart(counts, datasets::class_names(), "Fashion-MNIST test set: confusion matrix").save(path);
}

int write_mistakes(const Tensor& images, const Tensor& logits, const Tensor& labels, int count, const std::string& path) {
    const auto predicted = argmax(logits, -1).to_labels();
    const auto truth = labels.to_labels();
    const Tensor probabilities = softmax(logits, -1);
    const float* p = probabilities.data();
    const float* pixels = images.data();
    const int64_t classes = logits.dim(1), h = images.dim(1), w = images.dim(2);
    const auto& names = datasets::class_names();
    std::vector<plot::Picture> pictures;
    for (size_t i = 0; i < truth.size() && static_cast<int>(pictures.size()) < count; ++i) {
        if (predicted[i] == truth[i]) continue;
        char caption[96];
        std::snprintf(caption, sizeof caption, "%s (%.0f%%)", names[predicted[i]].c_str(),
                      100.0 * p[i * classes + predicted[i]]);
        pictures.push_back({.pixels = std::vector<float>(pixels + i * h * w, pixels + (i + 1) * h * w),
                            .height = h,
                            .width = w,
                            .caption = {caption, "true: " + names[truth[i]], "test image " + std::to_string(i)},
                            .caption_color = "#c62828"});
    }
    plot::image_grid(pictures, 8, 3.0, "Misclassified test images: predicted (probability), true class").save(path);
    return static_cast<int>(pictures.size());
}

}  // namespace fashion_demo
