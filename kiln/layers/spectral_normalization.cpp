#include "kiln/layers/spectral_normalization.hpp"

#include <algorithm>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/initializers.hpp"

namespace kiln::layers {
namespace {

// Keras's backend.epsilon() squared: ops.normalize floors the sum of squares at epsilon^2.
constexpr float kMinSquaredNorm = 1e-14f;

// x / ||x|| over all elements, as Keras's normalize(x, axis=None).
Tensor l2_normalize(const Tensor& x) { return x * rsqrt(maximum(sum(square(x)), Tensor::scalar(kMinSquaredNorm))); }

// The variable `layer` keeps under `name` itself, or an undefined one.
Variable own_variable(const Layer& layer, const std::string& name) {
    for (const Variable& v : layer.own_weights())
        if (v.name() == cat(layer.name(), "/", name)) return v;
    return {};
}

}  // namespace

SpectralNormalizationLayer::SpectralNormalizationLayer(const Options& options)
    : WrapperLayer(LayerOptions{.name = options.name, .trainable = options.trainable}, "SpectralNormalization",
                   "spectral_normalization", options.layer),
      options_(options) {
    if (options_.power_iterations <= 0)
        throw ValueError(cat("SpectralNormalization '", name(), "': power_iterations should be greater than zero, got ",
                             options_.power_iterations));
}

void SpectralNormalizationLayer::build_impl(const Shape& input_shape) {
    WrapperLayer::build_impl(input_shape);
    const Layer& wrapped = *layer();
    kernel_ = own_variable(wrapped, "kernel");
    if (!kernel_.defined()) kernel_ = own_variable(wrapped, "embeddings");
    if (!kernel_.defined() || kernel_.shape().rank() == 0)
        throw ValueError(cat(describe(), ": the wrapped ", wrapped.describe(),
                             " has no 'kernel' nor 'embeddings' variable (wrap a layer such as Dense or Conv2D)"));
    track_variable(kernel_);
    vector_u_ = add_weight({.name = "vector_u",
                            .shape = Shape{1, kernel_.shape().dim(-1)},
                            .initializer = std::make_shared<TruncatedNormal>(
                                NormalOptions{.stddev = 0.02}),
                            .trainable = false});
    set_input_spec({.min_ndim = 1, .axes = {{-1, input_shape.dim(-1)}}});
}

void SpectralNormalizationLayer::normalize_kernel() {
    // Variable updates, not part of the function the tape differentiates.
    autograd::PauseRecording pause;
    const Tensor kernel = kernel_.value();
    if (std::all_of(kernel.data(), kernel.data() + kernel.size(), [](float k) { return k == 0.0f; })) return;
    const Tensor w = kernel.reshape({-1, kernel.dim(-1)});
    Tensor u = vector_u_.value(), v;
    for (int64_t i = 0; i < options_.power_iterations; ++i) {
        v = l2_normalize(matmul(u, w, false, true));
        u = l2_normalize(matmul(v, w));
    }
    const float sigma = matmul(matmul(v, w), u, false, true).item();
    if (sigma == 0.0f)
        throw StateError(cat(describe(), ": the spectral norm estimate is 0: vector_u is orthogonal to every row of "
                                         "the kernel (or zero); assign it a random vector"));
    kernel_.assign(kernel / Tensor::scalar(sigma));
    vector_u_.assign(u);
}

Tensor SpectralNormalizationLayer::call(const Tensor& input, const CallContext& ctx) {
    if (ctx.training) normalize_kernel();
    return (*layer())(input);  // the training value passes down as the enclosing call's
}

nlohmann::json SpectralNormalizationLayer::get_config() const {
    nlohmann::json config = WrapperLayer::get_config();
    config["power_iterations"] = options_.power_iterations;
    return config;
}

std::shared_ptr<SpectralNormalizationLayer> SpectralNormalizationLayer::from_config(const nlohmann::json& config,
                                                                                    LayerPtr layer) {
    ConfigReader r(config, "SpectralNormalization");
    Options o;
    o.layer = std::move(layer);
    r.read_base(o.name, o.trainable);
    r.raw("layer");  // read by the caller
    o.power_iterations = r.integer("power_iterations", 1);
    r.finish();
    return std::make_shared<SpectralNormalizationLayer>(o);
}

}  // namespace kiln::layers
