// SpectralNormalization: Keras's wrapper that divides a layer's kernel by its spectral norm (its largest singular
// value, estimated by the power method), which bounds the layer's Lipschitz constant (Miyato et al. 2018, for GAN
// discriminators). The wrapped layer needs a variable named "kernel" (Dense, Conv2D) or "embeddings".
//
// A training call, when the kernel is not all zero, runs power_iterations steps from the stored u ([1, out]) on
// W = kernel reshaped to [-1, out]:  v = normalize(u W^T), u = normalize(v W);  then sigma = v W u^T, and ASSIGNS
// kernel := kernel / sigma and vector_u := u before calling the wrapped layer. normalize(x) = x / sqrt(max(sum(x^2),
// 1e-14)), Keras's ops.normalize with its epsilon 1e-7. As in Keras 3 the update is not differentiated: gradients
// reach the kernel as the plain variable it now holds. An inference call is the wrapped layer alone. A vector_u
// orthogonal to every row of the kernel (all zero, say) gives sigma 0: StateError rather than Keras's NaNs.
//
// Weights in Keras's order: the kernel (adopted from the wrapped layer, as Keras 3 tracks the attribute, so Keras
// files hold it twice: at spectral_normalization/vars/0 and at spectral_normalization/layer/vars/0), vector_u
// (non-trainable, TruncatedNormal(stddev 0.02): spectral_normalization/vars/1), then the wrapped layer's others.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiln/layers/wrapper.hpp"

namespace kiln::layers {

struct SpectralNormalizationOptions {
    LayerPtr layer{};  // required: the layer to wrap
    std::string name{};
    bool trainable = true;
    int64_t power_iterations = 1;  // > 0
};

class SpectralNormalizationLayer : public WrapperLayer {
public:
    using Options = SpectralNormalizationOptions;
    explicit SpectralNormalizationLayer(const Options& options);

    std::string class_name() const override { return "SpectralNormalization"; }
    nlohmann::json get_config() const override;
    // From a config whose "layer" the caller has already read into `layer` (the registry does, in serialization/).
    static std::shared_ptr<SpectralNormalizationLayer> from_config(const nlohmann::json& config, LayerPtr layer);
    const Options& options() const { return options_; }

    // The wrapped layer's kernel and the power method's u (undefined before build).
    Variable kernel() const { return kernel_; }
    Variable vector_u() const { return vector_u_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    void normalize_kernel();

    Options options_{};
    Variable kernel_{}, vector_u_{};
};

using SpectralNormalization = LayerHandle<SpectralNormalizationLayer>;

}  // namespace kiln::layers
