#include "kiln/layers/reshaping.hpp"

#include <algorithm>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/pad.hpp"
#include "kiln/core/ops/shape_ops.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln::layers {
namespace {

DataFormat read_data_format(ConfigReader& r) {
    const std::string key = "data_format";
    return parse_data_format(r.string(key, "channels_last"), r.where(key));
}

// "((1, 2), (3, 4))": a padding as Keras prints it.
std::string padding_str(const Padding2D& p) {
    return cat("((", p[0][0], ", ", p[0][1], "), (", p[1][0], ", ", p[1][1], "))");
}

// The ((top, bottom), (left, right)) form of any of the option's forms.
Padding2D full_padding(const std::variant<int64_t, std::array<int64_t, 2>, Padding2D>& padding) {
    if (const auto* all = std::get_if<int64_t>(&padding)) return {{{*all, *all}, {*all, *all}}};
    if (const auto* pair = std::get_if<std::array<int64_t, 2>>(&padding))
        return {{{(*pair)[0], (*pair)[0]}, {(*pair)[1], (*pair)[1]}}};
    return std::get<Padding2D>(padding);
}

// A padding from a config: an int, [height, width] or [[top, bottom], [left, right]] (entries may mix the forms).
Padding2D read_padding(ConfigReader& r) {
    const std::string key = "padding";
    const nlohmann::json& v = r.raw(key);
    if (v.is_null()) return {{{1, 1}, {1, 1}}};
    if (v.is_number_integer()) return full_padding(v.get<int64_t>());
    auto fail = [&]() -> Padding2D {
        throw ValueError(cat(r.where(key), ": expected an int, a pair of ints or a pair of pairs of ints, got ",
                             v.dump()));
    };
    if (!v.is_array() || v.size() != 2) return fail();
    Padding2D out{};
    for (size_t axis = 0; axis < 2; ++axis) {
        const nlohmann::json& entry = v[axis];
        if (entry.is_number_integer()) {
            out[axis] = {entry.get<int64_t>(), entry.get<int64_t>()};
        } else if (entry.is_array() && entry.size() == 2 && entry[0].is_number_integer() &&
                   entry[1].is_number_integer()) {
            out[axis] = {entry[0].get<int64_t>(), entry[1].get<int64_t>()};
        } else {
            return fail();
        }
    }
    return out;
}

}  // namespace

// ---- Flatten ----

FlattenLayer::FlattenLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "flatten"), options_(options) {
    set_input_spec(InputSpec{.min_ndim = 1});
}

Shape FlattenLayer::compute_output_shape(const Shape& input_shape) const {
    if (input_shape.rank() < 1)
        throw ShapeError(cat(describe(), ": expected an input with a batch axis, got shape ", input_shape));
    const Shape features(input_shape.begin() + 1, input_shape.end());
    return {input_shape[0], features.numel()};
}

Tensor FlattenLayer::call(const Tensor& input, const CallContext&) {
    Tensor x = input;
    const int64_t rank = input.rank();
    if (options_.data_format == DataFormat::channels_first && rank > 2) {
        // [N, C, d1, ..., dk] -> [N, d1, ..., dk, C]
        std::vector<int64_t> axes{0};
        for (int64_t a = 2; a < rank; ++a) axes.push_back(a);
        axes.push_back(1);
        x = permute(input, axes);
    }
    return x.reshape(compute_output_shape(input.shape()));
}

nlohmann::json FlattenLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["data_format"] = to_string(options_.data_format);
    return config;
}

std::shared_ptr<FlattenLayer> FlattenLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Flatten");
    Options o;
    r.read_base(o.name, o.trainable);
    o.data_format = read_data_format(r);
    r.finish();
    return std::make_shared<FlattenLayer>(o);
}

// ---- Reshape ----

ReshapeLayer::ReshapeLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "reshape"), options_(options) {
    const auto& target = options_.target_shape;
    const auto unknown = std::count(target.begin(), target.end(), int64_t{-1});
    const bool valid = std::all_of(target.begin(), target.end(), [](int64_t d) { return d >= 1 || d == -1; });
    if (unknown > 1 || !valid)
        throw ValueError(cat(describe(), ": target_shape must hold sizes >= 1 and at most one -1, got ",
                             Shape(target)));
    set_input_spec(InputSpec{.min_ndim = 1});
}

Shape ReshapeLayer::compute_output_shape(const Shape& input_shape) const {
    if (input_shape.rank() < 1)
        throw ShapeError(cat(describe(), ": expected an input with a batch axis, got shape ", input_shape));
    const int64_t size = Shape(input_shape.begin() + 1, input_shape.end()).numel();
    Shape out{input_shape[0]};
    int64_t known = 1;
    for (int64_t d : options_.target_shape) {
        out.push_back(d);
        if (d != -1) known *= d;
    }
    const auto unknown = std::find(out.begin() + 1, out.end(), int64_t{-1});
    const bool fits = unknown == out.end() ? known == size : size % known == 0;
    if (!fits)
        throw ShapeError(cat(describe(), ": cannot reshape an input of shape ", input_shape, " (", size,
                             " values per sample) to target_shape ", Shape(options_.target_shape)));
    if (unknown != out.end()) *unknown = size / known;
    return out;
}

Tensor ReshapeLayer::call(const Tensor& input, const CallContext&) {
    return input.reshape(compute_output_shape(input.shape()));
}

nlohmann::json ReshapeLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["target_shape"] = options_.target_shape;
    return config;
}

std::shared_ptr<ReshapeLayer> ReshapeLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Reshape");
    Options o;
    r.read_base(o.name, o.trainable);
    if (!r.has("target_shape")) throw ValueError(cat(r.where("target_shape"), ": required"));
    bool was_list = false;
    o.target_shape = r.int_list("target_shape", {}, &was_list);
    if (!was_list) throw ValueError(cat(r.where("target_shape"), ": expected a list of integers"));
    r.finish();
    return std::make_shared<ReshapeLayer>(o);
}

// ---- ZeroPadding2D ----

ZeroPadding2DLayer::ZeroPadding2DLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "zero_padding2d"),
      options_(options),
      padding_(full_padding(options.padding)) {
    for (const auto& axis : padding_)
        if (axis[0] < 0 || axis[1] < 0)
            throw ValueError(cat(describe(), ": padding must be >= 0, got ", padding_str(padding_)));
    set_input_spec(InputSpec{.ndim = 4});
}

Shape ZeroPadding2DLayer::compute_output_shape(const Shape& input_shape) const {
    if (input_shape.rank() != 4)
        throw ShapeError(cat(describe(), ": expected a rank-4 input, got shape ", input_shape));
    Shape out = input_shape;
    const int64_t first_spatial = options_.data_format == DataFormat::channels_last ? 1 : 2;
    for (int64_t i = 0; i < 2; ++i) out[first_spatial + i] += padding_[i][0] + padding_[i][1];
    return out;
}

Tensor ZeroPadding2DLayer::call(const Tensor& input, const CallContext&) {
    return zero_pad2d(input, padding_, options_.data_format);
}

nlohmann::json ZeroPadding2DLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["padding"] = padding_;
    config["data_format"] = to_string(options_.data_format);
    return config;
}

std::shared_ptr<ZeroPadding2DLayer> ZeroPadding2DLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "ZeroPadding2D");
    Options o;
    r.read_base(o.name, o.trainable);
    o.padding = read_padding(r);
    o.data_format = read_data_format(r);
    r.finish();
    return std::make_shared<ZeroPadding2DLayer>(o);
}

}  // namespace kiln::layers
