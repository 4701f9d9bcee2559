// kiln_bench: times one kiln workload in this process and prints one JSON line (docs/performance.md).
//
//   kiln_bench --list
//   kiln_bench WORKLOAD [--threads N] [--min-seconds S] [--min-reps R]
//
// A harness of our own rather than a benchmark library: bench/torch_bench.py follows the very same protocol
// (2 warm-up runs, then repetitions until at least R runs and S seconds, the median and the minimum, one process
// per workload so that getrusage's ru_maxrss is that workload's own peak RSS), and a loop this small is easy to
// keep identical in both, so the kiln/torch ratios of bench/compare.py compare like with like.
// Only kiln's public API is used, as a user would.
#include <kiln/kiln.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"

using namespace kiln;

namespace {

// What one repetition runs, and how many operations it counts for (the per-op add loops; 1 otherwise).
struct Run {
    std::function<void()> body;
    int64_t ops_per_rep = 1;
};

struct Workload {
    std::string name;
    std::function<Run()> setup;  // builds inputs and layers, outside the timed region
    bool single_shot = false;    // timed once as a whole, no warm-up (the epoch)
};

Tensor normal(const Shape& shape, uint64_t seed) { return Tensor::random_normal(shape, 0.0f, 1.0f, seed); }

// Labels 0..classes-1 drawn with a fixed seed, as kiln's float label tensor.
Tensor random_labels(int64_t n, int64_t classes, uint64_t seed) {
    Rng rng(seed);
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t& l : labels) l = rng.below(classes);
    return Tensor::from_labels(labels);
}

// A layer call with no tape alive (so nothing is recorded).
Run forward(const LayerPtr& layer, const Tensor& x, bool training) {
    layer->build(x.shape());
    return {[layer, x, training] { (*layer)(x, training); }};
}

// A training-mode call under a tape, then the vector-Jacobian product with a fixed random `dy` (made here, once)
// seeding the backward pass: gradients of the input (when `input_grad`) and of every trainable weight.
Run forward_backward(const LayerPtr& layer, const Tensor& x, bool input_grad) {
    layer->build(x.shape());
    const Tensor dy = normal(layer->compute_output_shape(x.shape()), 7);
    std::vector<Tensor> sources;
    if (input_grad) sources.push_back(x);
    for (const Variable& v : layer->trainable_weights()) sources.push_back(v.value());
    return {[layer, x, input_grad, dy, sources] {
        GradientTape tape;
        if (input_grad) tape.watch(x);
        const Tensor y = (*layer)(x, true);
        tape.gradient(y, sources, dy);
    }};
}

// The demo's network (apps/fashion_mnist/model.cpp) without its augmentation layer, compiled without its accuracy
// metric and learning-rate schedule: the torch step has neither.
Model demo_cnn() {
    Model model = fashion_demo::build_model(/*augment=*/false);
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-3}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true})});
    return model;
}

Model mlp() {
    auto model = Sequential({layers::Input({784}), layers::Dense({.units = 256}), layers::BatchNormalization(),
                             layers::ReLU(), layers::Dense({.units = 10})});
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-3}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true})});
    return model;
}

Run train_step(const Model& model, const Tensor& x) {
    const Tensor y = random_labels(x.dim(0), 10, 11);
    return {[model, x, y] { model.train_on_batch(x, y); }};
}

// `reps` adds of two 2-element tensors, with no tape or inside a tape watching `a`.
Run add_loop(bool tape_alive) {
    constexpr int64_t kAdds = 10000;
    const Tensor a = normal({2}, 1), b = normal({2}, 2);
    return {[a, b, tape_alive] {
                std::optional<GradientTape> tape;
                if (tape_alive) tape.emplace().watch(a);
                for (int64_t i = 0; i < kAdds; ++i) add(a, b);
            },
            kAdds};
}

struct BnShape {
    const char* name;
    Shape shape;
    int64_t axis;
};

struct ConvCase {
    const char* name;
    Shape input;  // NHWC
    int64_t filters;
    int64_t strides;
    bool input_grad;
};

layers::Conv2D conv_layer(const ConvCase& c) {
    return layers::Conv2D({.filters = c.filters, .kernel_size = 3, .strides = c.strides, .padding = "same",
                           .use_bias = false});
}

std::vector<Workload> workloads() {
    std::vector<Workload> w;
    const std::vector<BnShape> bn_shapes = {
        {"nhwc_64x32x32x64", {64, 32, 32, 64}, -1},  {"nhwc_128x32x32x64", {128, 32, 32, 64}, -1},
        {"nhwc_256x8x8x256", {256, 8, 8, 256}, -1},  {"nchw_64x64x32x32", {64, 64, 32, 32}, 1},
        {"nchw_128x64x32x32", {128, 64, 32, 32}, 1}, {"nchw_256x256x8x8", {256, 256, 8, 8}, 1},
        {"2d_4096x1024", {4096, 1024}, -1},
    };
    for (const BnShape& s : bn_shapes) {
        auto bn = [s] { return layers::BatchNormalization({.axis = s.axis}); };  // momentum 0.99, epsilon 1e-3
        const std::string suffix = std::string("/") + s.name;
        w.push_back({"bn_train_fwd" + suffix, [=] { return forward(bn(), normal(s.shape, 1), true); }});
        w.push_back({"bn_infer_fwd" + suffix, [=] { return forward(bn(), normal(s.shape, 1), false); }});
        w.push_back({"bn_train_fwdbwd" + suffix, [=] { return forward_backward(bn(), normal(s.shape, 1), true); }});
    }
    const ConvCase conv32 = {"3x3_32to64_64x32x32", {64, 32, 32, 32}, 64, 1, true};
    w.push_back({std::string("conv_fwd/") + conv32.name,
                 [=] { return forward(conv_layer(conv32), normal(conv32.input, 1), false); }});
    for (const ConvCase& c : {conv32, ConvCase{"3x3_32to64_s2_64x32x32", {64, 32, 32, 32}, 64, 2, true},
                              ConvCase{"3x3_1to32_64x28x28", {64, 28, 28, 1}, 32, 1, false}}) {
        w.push_back({std::string("conv_fwdbwd/") + c.name,
                     [=] { return forward_backward(conv_layer(c), normal(c.input, 1), c.input_grad); }});
    }
    w.push_back({"maxpool_fwdbwd/2x2_64x28x28x32", [] {
                     return forward_backward(layers::MaxPooling2D({.pool_size = {2, 2}}), normal({64, 28, 28, 32}, 1),
                                             true);
                 }});
    w.push_back({"relu_fwdbwd/64x28x28x32",
                 [] { return forward_backward(layers::ReLU(), normal({64, 28, 28, 32}, 1), true); }});
    w.push_back({"dense_fwd/1024to1024_b512",
                 [] { return forward(layers::Dense({.units = 1024}), normal({512, 1024}, 1), false); }});
    w.push_back({"dense_fwdbwd/1024to1024_b512",
                 [] { return forward_backward(layers::Dense({.units = 1024}), normal({512, 1024}, 1), true); }});
    w.push_back({"step_demo_cnn/b64",
                 [] { return train_step(demo_cnn(), Tensor::random_uniform({64, 28, 28, 1}, 0.0f, 1.0f, 1)); }});
    w.push_back({"step_mlp/b128", [] { return train_step(mlp(), normal({128, 784}, 1)); }});
    w.push_back({"epoch_demo_cnn/fashion_mnist",
                 [] {
                     const auto data = datasets::load_fashion_mnist();
                     const Model model = demo_cnn();
                     return Run{[model, data] {
                         model.fit(data.x_train, data.y_train, {.batch_size = 64, .epochs = 1, .verbose = 0});
                     }};
                 },
                 true});
    w.push_back({"add/2_notape", [] { return add_loop(false); }});
    w.push_back({"add/2_tape", [] { return add_loop(true); }});
    return w;
}

double seconds_of(const std::function<void()>& body) {
    const auto start = std::chrono::steady_clock::now();
    body();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The median as Python's statistics.median (the mean of the middle two for an even count).
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int usage() {
    std::fprintf(stderr, "usage: kiln_bench --list | WORKLOAD [--threads N] [--min-seconds S] [--min-reps R]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<Workload> all = workloads();
    if (argc == 2 && std::string(argv[1]) == "--list") {
        for (const Workload& w : all) std::printf("%s\n", w.name.c_str());
        return 0;
    }
    if (argc < 2 || argc % 2 != 0) return usage();
    int threads = 1, min_reps = 5;
    double min_seconds = 1.0;
    for (int i = 2; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--threads") threads = std::atoi(argv[i + 1]);
        else if (flag == "--min-seconds") min_seconds = std::atof(argv[i + 1]);
        else if (flag == "--min-reps") min_reps = std::atoi(argv[i + 1]);
        else return usage();
    }
    const auto found = std::find_if(all.begin(), all.end(), [&](const Workload& w) { return w.name == argv[1]; });
    if (found == all.end()) {
        std::fprintf(stderr, "kiln_bench: unknown workload '%s' (see --list)\n", argv[1]);
        return 2;
    }

    set_num_threads(threads);
    set_random_seed(42);
    const Run run = found->setup();
    std::vector<double> times;
    if (found->single_shot) {
        times.push_back(seconds_of(run.body));
    } else {
        for (int i = 0; i < 2; ++i) run.body();
        double total = 0.0;
        while (static_cast<int>(times.size()) < min_reps || total < min_seconds) {
            times.push_back(seconds_of(run.body));
            total += times.back();
        }
    }
    for (double& t : times) t /= static_cast<double>(run.ops_per_rep);

    rusage usage_now{};
    getrusage(RUSAGE_SELF, &usage_now);  // ru_maxrss is in KiB on Linux
    std::printf("{\"framework\":\"kiln\",\"workload\":\"%s\",\"threads\":%d,\"median_s\":%.9g,\"min_s\":%.9g,"
                "\"reps\":%zu,\"peak_rss_mb\":%.1f}\n",
                found->name.c_str(), threads, median(times), *std::min_element(times.begin(), times.end()),
                times.size(), static_cast<double>(usage_now.ru_maxrss) / 1024.0);
    return 0;
}
