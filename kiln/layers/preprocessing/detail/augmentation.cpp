#include "kiln/layers/preprocessing/detail/augmentation.hpp"

#include <vector>

#include "kiln/core/errors.hpp"

namespace kiln::layers::detail {

Tensor augment(const Tensor& input, bool training, const Sampling& sampling, const std::string& who,
               const DrawTransform& draw) {
    const Shape& shape = input.shape();
    if (shape.rank() != 3 && shape.rank() != 4)
        throw ShapeError(cat(who, ": expected a batch of images (rank 4) or one image (rank 3), got shape ", shape));
    if (!training) return input;
    const bool single = shape.rank() == 3;
    const Tensor batch = single ? input.reshape(Shape{1, shape[0], shape[1], shape[2]}) : input;
    const bool last = sampling.data_format == DataFormat::channels_last;
    const int64_t height = batch.dim(last ? 1 : 2), width = batch.dim(last ? 2 : 3);
    std::vector<AffineTransform> transforms;
    transforms.reserve(static_cast<size_t>(batch.dim(0)));
    for (int64_t n = 0; n < batch.dim(0); ++n) transforms.push_back(draw(height, width));
    const Tensor out = affine_transform(batch, transforms, sampling, who);
    return single ? out.reshape(shape) : out;
}

double uniform_in(Rng& rng, const std::array<double, 2>& range) {
    return range[0] + (range[1] - range[0]) * static_cast<double>(rng.uniform());
}

void check_factor(const Factor& factor, const std::string& who, const std::string& key, bool open_below) {
    for (double v : factor.values())
        if (!(v <= 1.0 && (open_below ? v > -1.0 : v >= -1.0)))
            throw ValueError(cat(who, ": ", key, " must be a number or a pair of numbers in ", open_below ? "(" : "[",
                                 "-1, 1], got ", factor.str()));
}

Factor read_factor(ConfigReader& r, const std::string& key) {
    const nlohmann::json& v = r.raw(key);
    if (v.is_number()) return Factor(v.get<double>());
    if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number())
        return Factor(v[0].get<double>(), v[1].get<double>());
    if (v.is_null()) throw ValueError(cat(r.where(key), ": required"));
    throw ValueError(cat(r.where(key), ": expected a number or a list of two numbers, got ", v.dump()));
}

std::optional<uint64_t> read_seed(ConfigReader& r) {
    const std::optional<int64_t> seed = r.optional_integer("seed");
    if (!seed) return std::nullopt;
    if (*seed < 0) throw ValueError(cat(r.where("seed"), ": expected null or an integer >= 0, got ", *seed));
    return static_cast<uint64_t>(*seed);
}

nlohmann::json seed_config(const std::optional<uint64_t>& seed) {
    return seed ? nlohmann::json(*seed) : nlohmann::json(nullptr);
}

}  // namespace kiln::layers::detail
