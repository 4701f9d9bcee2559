// The demo's pictures of the test set: the confusion matrix and a grid of misclassified images.
#pragma once

#include <string>

#include <kiln/kiln.hpp>

namespace fashion_demo {

// Writes the confusion matrix of `logits` [N, 10] against `labels` [N] to `path`.
void write_confusion_matrix(const kiln::Tensor& logits, const kiln::Tensor& labels, const std::string& path);

// Writes up to `count` misclassified images of `images` [N, 28, 28, 1] (in test-set order), each captioned with the
// predicted class and its probability (red) and the true class, to `path`. Returns how many it drew.
int write_mistakes(const kiln::Tensor& images, const kiln::Tensor& logits, const kiln::Tensor& labels, int count,
                   const std::string& path);

}  // namespace fashion_demo
