// A custom layer, the way a Keras user writes one: a trainable variable, a non-trainable one that the layer itself
// updates in training, a config round trip, and use inside fit. Exits non-zero if a claim fails.
//
// RunningCenter subtracts a per-feature mean and multiplies by a learned scale. In training it uses the batch mean
// and moves its non-trainable running mean towards it (running = momentum * running + (1 - momentum) * batch);
// at inference it uses the running mean, as BatchNormalization does with its moving statistics.
#include <kiln/kiln.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "claims.hpp"

using namespace kiln;
using examples::expect;

namespace {

struct RunningCenterOptions {
    std::string name{};
    double momentum = 0.9;
};

class RunningCenter : public Layer {
public:
    using Options = RunningCenterOptions;
    explicit RunningCenter(const Options& o = {}) : Layer({.name = o.name}, "running_center"), momentum_(o.momentum) {
        if (!(momentum_ >= 0 && momentum_ < 1))
            throw ValueError(cat("RunningCenter: momentum must be in [0, 1), got ", momentum_));
    }

    std::string class_name() const override { return "RunningCenter"; }

    nlohmann::json get_config() const override {
        nlohmann::json config = Layer::get_config();  // name, trainable, dtype
        config["momentum"] = momentum_;
        return config;
    }
    // Reads what get_config wrote; an unknown or mistyped key is an error that names it.
    static LayerPtr from_config(const nlohmann::json& config) {
        ConfigReader reader(config, "RunningCenter");
        Options o;
        bool trainable = true;
        reader.read_base(o.name, trainable);
        o.momentum = reader.number("momentum", o.momentum);
        reader.finish();
        auto layer = std::make_shared<RunningCenter>(o);
        layer->set_trainable(trainable);
        return layer;
    }

    const Variable& scale() const { return scale_; }
    const Variable& running_mean() const { return running_mean_; }

protected:
    void build_impl(const Shape& input_shape) override {
        const Shape features{input_shape[input_shape.rank() - 1]};
        scale_ = add_weight({.name = "scale", .shape = features, .initializer = std::make_shared<Ones>()});
        running_mean_ = add_weight({.name = "running_mean", .shape = features,
                                    .initializer = std::make_shared<Zeros>(), .trainable = false});
    }

    Tensor call(const Tensor& x, const CallContext& ctx) override {
        if (!ctx.training) return (x - running_mean_.value()) * scale_.value();
        const Tensor batch_mean = mean(x, {0});
        // The update is not part of the gradient: stop_gradient keeps it off the tape.
        running_mean_.assign(add(mul(running_mean_.value(), static_cast<float>(momentum_)),
                                 mul(stop_gradient(batch_mean), static_cast<float>(1 - momentum_))));
        return (x - batch_mean) * scale_.value();
    }

private:
    double momentum_;
    Variable scale_, running_mean_;
};

}  // namespace

int main() {
    // Registering the class lets model_from_json, load_model and the `kiln` tool rebuild it from a config.
    serialization::register_layer("RunningCenter", &RunningCenter::from_config);
    set_random_seed(7);

    // Data: y = 2 * (x0 - 3) - (x1 - 3) + noise; the inputs sit around 3, which RunningCenter learns to remove.
    const int64_t n = 512;
    Rng rng(11);
    std::vector<float> xs, ys;
    for (int64_t i = 0; i < n; ++i) {
        const float a = 3.0f + rng.normal(), b = 3.0f + rng.normal();
        xs.insert(xs.end(), {a, b});
        ys.push_back(2 * (a - 3) - (b - 3) + 0.01f * rng.normal());
    }
    const Tensor x(xs, Shape{n, 2}), y(ys, Shape{n, 1});

    auto center = std::make_shared<RunningCenter>(RunningCenterOptions{.name = "center", .momentum = 0.9});
    Sequential model({layers::Input({2}), LayerPtr(center), layers::Dense({.units = 1})}, "custom_layer_model");
    expect(center->trainable_weights().size() == 1 && center->trainable_weights()[0].name() == "center/scale",
           "the scale is the layer's one trainable weight");
    expect(center->non_trainable_weights().size() == 1 && center->non_trainable_weights()[0].name() == "center/running_mean",
           "the running mean is non-trainable");

    model.compile({.optimizer = optim::Adam({.learning_rate = 0.05}), .loss = "mse"});
    const double before = model.evaluate(x, y, {.verbose = 0}).at("loss");
    model.fit(x, y, {.batch_size = 32, .epochs = 30, .verbose = 0});
    // At inference the layer subtracts its running mean; in training the batch means (noisier) are used.
    const double after = model.evaluate(x, y, {.verbose = 0}).at("loss");
    std::printf("inference loss %.4f -> %.4f\n", before, after);
    expect(after < 0.01 * before, "fit learns the target (the inference loss falls by 100x)");
    const auto running = center->running_mean().value().to_vector();
    expect(std::abs(running[0] - 3) < 0.2 && std::abs(running[1] - 3) < 0.2,
           cat("the running mean followed the data to about 3: ", running[0], ", ", running[1]));

    // Config round trip: the layer's own config, and the whole model through JSON and a .keras file.
    const auto again = RunningCenter::from_config(center->get_config());
    expect(again->get_config() == center->get_config(), "from_config(get_config()) gives the same config");
    // model_from_json rebuilds the architecture (not the compile settings, as in Keras).
    const auto architecture = [](const Model& m) { return nlohmann::json::parse(m.to_json()).at("config"); };
    expect(architecture(model_from_json(model.to_json())) == architecture(model), "the model's JSON config round-trips");
    const std::string path = (std::filesystem::temp_directory_path() / "kiln_custom_layer_example.keras").string();
    model.save(path);
    const Model reloaded = load_model(path);
    std::filesystem::remove(path);
    expect(allclose(reloaded.predict(x), model.predict(x), 0.0f, 0.0f),
           "the reloaded model (weights and running mean) predicts the same numbers");
    return examples::exit_status();
}
