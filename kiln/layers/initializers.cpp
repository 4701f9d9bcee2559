// Initializers: sampling, argument validation, and the Keras name registry behind get/deserialize/serialize.
#include "kiln/layers/initializers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/random.hpp"
#include "kiln/core/detail/registry.hpp"

namespace kiln {

namespace {

// Keras's stddev of a standard normal truncated at +-2: dividing by it restores the requested stddev.
constexpr double kTruncatedStddev = 0.87962566103423978;

// Normal samples whose standard score is redrawn while beyond 2.
Tensor truncated_normal(const Shape& shape, double mean, double stddev, uint64_t seed) {
    Tensor t = Tensor::empty(shape);
    Rng rng(seed);
    float* p = t.data();
    for (int64_t i = 0; i < t.size(); ++i) {
        float z;
        do z = rng.normal();
        while (std::fabs(z) > 2.0f);
        p[i] = static_cast<float>(mean + stddev * z);
    }
    return t;
}

void check_stddev(const char* cls, double stddev) {
    if (!(stddev >= 0.0)) throw ValueError(cat(cls, ": stddev must be >= 0, got stddev=", stddev));
}

// The Keras config of RandomNormal and TruncatedNormal.
nlohmann::json normal_config(const NormalOptions& o) {
    return {{"mean", o.mean}, {"stddev", o.stddev}, {"seed", detail::seed_to_json(o.seed)}};
}

// Writes the fan axes only when given, so that configs stay readable by Keras before 3.15.
void add_fan_axes(const std::optional<FanAxes>& axes, nlohmann::json& config) {
    if (!axes) return;
    config["input_axes"] = axes->input_axes;
    config["output_axes"] = axes->output_axes;
}

}  // namespace

Tensor Zeros::operator()(const Shape& shape) const { return Tensor::zeros(shape); }
Tensor Ones::operator()(const Shape& shape) const { return Tensor::ones(shape); }
Tensor Constant::operator()(const Shape& shape) const { return Tensor::full(shape, static_cast<float>(value_)); }

uint64_t RandomInitializer::call_seed() const { return seed_ ? *seed_ : next_random_seed(); }

nlohmann::json RandomInitializer::seed_config() const { return {{"seed", detail::seed_to_json(seed_)}}; }

RandomNormal::RandomNormal(NormalOptions options) : RandomInitializer(options.seed), options_(options) {
    check_stddev("RandomNormal", options_.stddev);
}

Tensor RandomNormal::operator()(const Shape& shape) const {
    return Tensor::random_normal(shape, static_cast<float>(options_.mean), static_cast<float>(options_.stddev),
                                 call_seed());
}

nlohmann::json RandomNormal::get_config() const { return normal_config(options_); }

TruncatedNormal::TruncatedNormal(NormalOptions options) : RandomInitializer(options.seed), options_(options) {
    check_stddev("TruncatedNormal", options_.stddev);
}

Tensor TruncatedNormal::operator()(const Shape& shape) const {
    return truncated_normal(shape, options_.mean, options_.stddev, call_seed());
}

nlohmann::json TruncatedNormal::get_config() const { return normal_config(options_); }

RandomUniform::RandomUniform(RandomUniformOptions options) : RandomInitializer(options.seed), options_(options) {
    if (!(options_.maxval >= options_.minval))
        throw ValueError(cat("RandomUniform: maxval must be >= minval, got minval=", options_.minval,
                             " maxval=", options_.maxval));
}

Tensor RandomUniform::operator()(const Shape& shape) const {
    return Tensor::random_uniform(shape, static_cast<float>(options_.minval), static_cast<float>(options_.maxval),
                                  call_seed());
}

nlohmann::json RandomUniform::get_config() const {
    nlohmann::json config = seed_config();
    config["minval"] = options_.minval;
    config["maxval"] = options_.maxval;
    return config;
}

VarianceScaling::VarianceScaling(VarianceScalingOptions options)
    : RandomInitializer(options.seed), options_(std::move(options)) {
    if (!(options_.scale > 0.0))
        throw ValueError(cat("VarianceScaling: scale must be positive, got scale=", options_.scale));
    const std::string& mode = options_.mode;
    if (mode != "fan_in" && mode != "fan_out" && mode != "fan_avg")
        throw ValueError(cat("VarianceScaling: mode must be one of fan_in, fan_out, fan_avg, got mode='", mode, "'"));
    std::string& dist = options_.distribution;
    std::transform(dist.begin(), dist.end(), dist.begin(), [](unsigned char c) { return std::tolower(c); });
    if (dist == "normal") dist = "truncated_normal";
    if (dist != "truncated_normal" && dist != "untruncated_normal" && dist != "uniform")
        throw ValueError(cat("VarianceScaling: distribution must be one of truncated_normal, untruncated_normal, "
                             "uniform, got distribution='", dist, "'"));
}

Tensor VarianceScaling::operator()(const Shape& shape) const {
    const auto [fan_in, fan_out] = options_.fan_axes ? initializers::compute_fans(shape, *options_.fan_axes)
                                                      : initializers::compute_fans(shape);
    const double n = options_.mode == "fan_in"    ? static_cast<double>(fan_in)
                     : options_.mode == "fan_out" ? static_cast<double>(fan_out)
                                                  : static_cast<double>(fan_in + fan_out) / 2.0;
    const double scale = options_.scale / std::max(1.0, n);
    if (options_.distribution == "truncated_normal")
        return truncated_normal(shape, 0.0, std::sqrt(scale) / kTruncatedStddev, call_seed());
    if (options_.distribution == "untruncated_normal")
        return Tensor::random_normal(shape, 0.0f, static_cast<float>(std::sqrt(scale)), call_seed());
    const auto limit = static_cast<float>(std::sqrt(3.0 * scale));
    return Tensor::random_uniform(shape, -limit, limit, call_seed());
}

nlohmann::json VarianceScaling::get_config() const {
    nlohmann::json config = seed_config();
    config["scale"] = options_.scale;
    config["mode"] = options_.mode;
    config["distribution"] = options_.distribution;
    add_fan_axes(options_.fan_axes, config);
    return config;
}

VarianceScalingPreset::VarianceScalingPreset(std::string name, double scale, std::string mode,
                                             std::string distribution, std::optional<uint64_t> seed,
                                             std::optional<FanAxes> fan_axes)
    : VarianceScaling({scale, std::move(mode), std::move(distribution), seed, std::move(fan_axes)}),
      name_(std::move(name)) {}

nlohmann::json VarianceScalingPreset::get_config() const {
    nlohmann::json config = seed_config();
    add_fan_axes(options().fan_axes, config);
    return config;
}

namespace initializers {

Fans compute_fans(const Shape& shape, const FanAxes& axes) {
    const auto product = [&](const std::vector<int64_t>& list, const char* key) {
        int64_t n = 1;
        for (const int64_t axis : list) {
            if (axis < -shape.rank() || axis >= shape.rank())
                throw ShapeError(cat("VarianceScaling: ", key, " holds axis ", axis, ", outside the weight shape ",
                                     shape));
            if (__builtin_mul_overflow(n, shape[axis < 0 ? axis + shape.rank() : axis], &n))
                throw ShapeError(cat("VarianceScaling: the ", key, " product of weight shape ", shape,
                                     " does not fit in a 64-bit integer"));
        }
        return n;
    };
    return {product(axes.input_axes, "input_axes"), product(axes.output_axes, "output_axes")};
}

Fans compute_fans(const Shape& shape) {
    const int64_t rank = shape.rank();
    if (rank == 0) return {1, 1};
    if (rank == 1) return {shape[0], shape[0]};
    // The products of sizes that passed Shape::numel can still overflow when another size is 0.
    const auto times = [&](int64_t a, int64_t b) {
        int64_t r = 0;
        if (__builtin_mul_overflow(a, b, &r))
            throw ShapeError(cat("compute_fans: the fans of weight shape ", shape, " do not fit in a 64-bit integer"));
        return r;
    };
    int64_t receptive = 1;
    for (int64_t i = 0; i < rank - 2; ++i) receptive = times(receptive, shape[i]);
    return {times(shape[rank - 2], receptive), times(shape[rank - 1], receptive)};
}

namespace {

using detail::ConfigReader;

std::vector<int64_t> axis_list(ConfigReader& r, const char* key, const nlohmann::json& v) {
    if (!v.is_array()) r.wrong_type(key, "a list of integers", v);
    std::vector<int64_t> axes;
    for (const auto& item : v) axes.push_back(r.integer_value(key, item));
    return axes;
}

// Keras 3.15's input_axes/output_axes (null in files written by it when unused). Keras uses them only when both
// are given; kiln refuses one without the other rather than drop it.
std::optional<FanAxes> read_fan_axes(ConfigReader& r) {
    const nlohmann::json* in = r.find("input_axes");
    const nlohmann::json* out = r.find("output_axes");
    const bool has_in = in && !in->is_null();
    const bool has_out = out && !out->is_null();
    if (!has_in && !has_out) return std::nullopt;
    if (has_in != has_out)
        throw ValueError(cat("VarianceScaling: input_axes and output_axes must be given together, got input_axes=",
                             in ? in->dump() : "absent", " and output_axes=", out ? out->dump() : "absent"));
    return FanAxes{axis_list(r, "input_axes", *in), axis_list(r, "output_axes", *out)};
}

NormalOptions normal_options(ConfigReader& r) {
    return {r.number("mean", 0.0), r.number("stddev", 0.05), r.seed()};
}

// Builds a preset (a class constructed from a seed and optional fan axes).
template <class T>
InitializerPtr make_seeded(ConfigReader& r) {
    std::optional<uint64_t> seed = r.seed();
    return std::make_shared<T>(seed, read_fan_axes(r));
}

const detail::Registry<Initializer>& registry() {
    static const detail::Registry<Initializer> instance(
        "initializer", "keras.initializers",
        {
            {"Zeros", {"zeros", "zero"}, [](ConfigReader&) -> InitializerPtr { return std::make_shared<Zeros>(); }},
            {"Ones", {"ones", "one"}, [](ConfigReader&) -> InitializerPtr { return std::make_shared<Ones>(); }},
            {"Constant",
             {"constant"},
             [](ConfigReader& r) -> InitializerPtr { return std::make_shared<Constant>(r.number("value", 0.0)); }},
            {"RandomNormal",
             {"random_normal", "normal"},
             [](ConfigReader& r) -> InitializerPtr { return std::make_shared<RandomNormal>(normal_options(r)); }},
            {"TruncatedNormal",
             {"truncated_normal"},
             [](ConfigReader& r) -> InitializerPtr { return std::make_shared<TruncatedNormal>(normal_options(r)); }},
            {"RandomUniform",
             {"random_uniform", "uniform"},
             [](ConfigReader& r) -> InitializerPtr {
                 return std::make_shared<RandomUniform>(
                     RandomUniformOptions{r.number("minval", -0.05), r.number("maxval", 0.05), r.seed()});
             }},
            {"VarianceScaling",
             {"variance_scaling"},
             [](ConfigReader& r) -> InitializerPtr {
                 return std::make_shared<VarianceScaling>(VarianceScalingOptions{
                     r.number("scale", 1.0), r.string("mode", "fan_in"),
                     r.string("distribution", "truncated_normal"), r.seed(), read_fan_axes(r)});
             }},
            {"GlorotUniform", {"glorot_uniform"}, make_seeded<GlorotUniform>},
            {"GlorotNormal", {"glorot_normal"}, make_seeded<GlorotNormal>},
            {"HeNormal", {"he_normal"}, make_seeded<HeNormal>},
            {"HeUniform", {"he_uniform"}, make_seeded<HeUniform>},
            {"LecunNormal", {"lecun_normal"}, make_seeded<LecunNormal>},
            {"LecunUniform", {"lecun_uniform"}, make_seeded<LecunUniform>},
        });
    return instance;
}

}  // namespace

InitializerPtr get(std::string_view name) { return registry().get(name); }
InitializerPtr deserialize(const nlohmann::json& j) { return registry().deserialize(j); }
nlohmann::json serialize(const Initializer& initializer) { return registry().serialize(initializer); }

}  // namespace initializers

}  // namespace kiln
