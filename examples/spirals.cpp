// The toy program: two interleaved spirals learned by Dense + BatchNormalization layers. Prints the accuracy on
// held-out points and writes the decision boundary with the points as an SVG picture.
// Usage: spirals [OUTPUT.svg]   (default spirals_decision_boundary.svg). Exits non-zero below 90% test accuracy (chance is 50%).
#include <kiln/kiln.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace kiln;

int main(int argc, char** argv) {
    const std::string svg_path = argc > 1 ? argv[1] : "spirals_decision_boundary.svg";
    set_random_seed(8);
    const auto split = datasets::train_test_split(datasets::make_spirals(2000, 2, 0.05, 2), 0.25, 3);

    Sequential model({layers::Input({2})}, "spirals");
    for (int i = 0; i < 3; ++i) {
        model.add(layers::Dense({.units = 64, .use_bias = false}));
        model.add(layers::BatchNormalization());
        model.add(layers::ReLU());
    }
    model.add(layers::Dense({.units = 2}));
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}), .metrics = {"accuracy"}});
    model.fit(split.train.x, split.train.y, {.batch_size = 32, .epochs = 100, .verbose = 0});
    const double accuracy = model.evaluate(split.test.x, split.test.y, {.verbose = 0}).at("accuracy");
    std::printf("spirals: test accuracy %.4f on %lld held-out points\n", accuracy,
                static_cast<long long>(split.test.x.dim(0)));

    // The decision regions: the model's class and confidence on a 160 x 160 grid over the data's range.
    const auto xy = split.train.x.to_vector();
    plot::DecisionRegions regions{.x_min = xy[0], .x_max = xy[0], .y_min = xy[1], .y_max = xy[1], .rows = 160, .cols = 160};
    for (size_t i = 0; i + 1 < xy.size(); i += 2) {
        regions.x_min = std::min<double>(regions.x_min, xy[i] - 0.2);
        regions.x_max = std::max<double>(regions.x_max, xy[i] + 0.2);
        regions.y_min = std::min<double>(regions.y_min, xy[i + 1] - 0.2);
        regions.y_max = std::max<double>(regions.y_max, xy[i + 1] + 0.2);
        regions.points.emplace_back(xy[i], xy[i + 1]);
    }
    regions.point_labels = split.train.y.to_labels();
    std::vector<float> grid;
    for (int64_t r = 0; r < regions.rows; ++r)
        for (int64_t c = 0; c < regions.cols; ++c) {
            grid.push_back(static_cast<float>(regions.x_min + (c + 0.5) / regions.cols * (regions.x_max - regions.x_min)));
            grid.push_back(static_cast<float>(regions.y_max - (r + 0.5) / regions.rows * (regions.y_max - regions.y_min)));
        }
    const Tensor probabilities = softmax(model.predict(Tensor(grid, Shape{regions.rows * regions.cols, 2}), {.batch_size = 1024}), -1);
    const auto p = probabilities.to_vector();
    for (int64_t i = 0; i < regions.rows * regions.cols; ++i) {
        const int64_t k = p[2 * i + 1] > p[2 * i] ? 1 : 0;
        regions.grid_class.push_back(k);
        regions.grid_confidence.push_back(2 * std::abs(p[2 * i + k] - 0.5));  // 0 on the boundary, 1 when sure
    }
    plot::decision_regions_chart(regions, {.title = cat("Spirals: decision regions (test accuracy ", accuracy, ")"),
                                           .x_label = "x0", .y_label = "x1"})
        .save(svg_path);
    std::printf("decision boundary: %s\n", svg_path.c_str());
    return accuracy >= 0.9 ? 0 : 1;
}
