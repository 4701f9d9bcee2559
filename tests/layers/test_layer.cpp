// The Layer contract with small layers defined here: names, build on first call, training resolution,
// weights order and trainable recursion, get/set_weights, regularization losses, constraints, the registry.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;

namespace {

struct ScaleOptions {
    std::string name{};
    bool trainable = true;
    RegularizerPtr regularizer{};
    ConstraintPtr constraint{};
};

// y = x * w + counter, with a trainable w of shape [features] and a non-trainable counter.
class ScaleLayer : public Layer {
public:
    using Options = ScaleOptions;
    explicit ScaleLayer(const Options& o = {}) : Layer(LayerOptions{.name = o.name, .trainable = o.trainable}, "scale"), o_(o) {}
    std::string class_name() const override { return "Scale"; }
    int builds = 0;
    bool last_training = false;
    Variable w, counter;

protected:
    void build_impl(const Shape& s) override {
        ++builds;
        w = add_weight({"w", Shape{s.dim(-1)}, initializers::get("ones"), true, o_.regularizer, o_.constraint});
        counter = add_weight({"counter", Shape{}, initializers::get("zeros"), false, {}, {}});
        set_input_spec({.min_ndim = 2, .axes = {{-1, s.dim(-1)}}});
    }
    Tensor call(const Tensor& x, const CallContext& ctx) override {
        last_training = ctx.training;
        return x * w.value() + counter.value();
    }

private:
    Options o_;
};
using Scale = LayerHandle<ScaleLayer>;

// Holds two Scale layers, created in its constructor, and calls them in sequence.
class PairLayer : public Layer {
public:
    PairLayer() : Layer(LayerOptions{}, "pair") {
        track_layer(first);
        track_layer(second);
    }
    std::string class_name() const override { return "Pair"; }
    Scale first{ScaleOptions{.name = "pair_first"}};
    Scale second{ScaleOptions{.name = "pair_second"}};

protected:
    Tensor call(const Tensor& x, const CallContext&) override { return second(first(x)); }
};

std::vector<std::string> names(const std::vector<Variable>& vs) {
    std::vector<std::string> out;
    for (const Variable& v : vs) out.push_back(v.name());
    return out;
}

}  // namespace

TEST_CASE("layer: automatic names are unique per class, given names are kept") {
    Scale a, b;
    CHECK(a->name() != b->name());
    CHECK(a->name().rfind("scale", 0) == 0);
    CHECK(b->name().rfind("scale_", 0) == 0);
    Scale named({.name = "mine"});
    CHECK(named->name() == "mine");
    CHECK(named->describe() == "Scale 'mine'");
}

TEST_CASE("layer: builds once, on the first call, from the input shape") {
    Scale s({.name = "s"});
    CHECK_FALSE(s->built());
    CHECK(s->weights().empty());
    Tensor y = s(Tensor::ones({2, 3}) * 2.0f);
    CHECK(s->built());
    CHECK(s->builds == 1);
    CHECK(y.to_vector() == std::vector<float>(6, 2.0f));
    s(Tensor::ones({5, 3}));
    CHECK(s->builds == 1);
    CHECK_THROWS_WITH_AS(s(Tensor::ones({2, 4})), doctest::Contains("Scale 's': expected axis -1 of the input to have size 3, got shape [2,4]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(s(Tensor::ones({3})), doctest::Contains("expected an input of rank >= 2"), ShapeError);
    CHECK_THROWS_AS(s(Tensor()), ValueError);
}

TEST_CASE("layer: training is explicit, else inherited from the enclosing call, else false") {
    PairLayer pair;
    pair(Tensor::ones({1, 2}), true);
    CHECK(pair.first->last_training);
    CHECK(pair.second->last_training);
    pair(Tensor::ones({1, 2}));
    CHECK_FALSE(pair.first->last_training);
    Scale alone;
    alone(Tensor::ones({1, 2}));
    CHECK_FALSE(alone->last_training);
    alone(Tensor::ones({1, 2}), true);
    CHECK(alone->last_training);
}

TEST_CASE("layer: weights are own trainable, own non-trainable, then sublayers', paths are layer/weight") {
    PairLayer pair;
    pair(Tensor::ones({1, 2}));
    CHECK(names(pair.weights()) ==
          std::vector<std::string>{"pair_first/w", "pair_first/counter", "pair_second/w", "pair_second/counter"});
    CHECK(names(pair.trainable_weights()) == std::vector<std::string>{"pair_first/w", "pair_second/w"});
    CHECK(names(pair.non_trainable_weights()) == std::vector<std::string>{"pair_first/counter", "pair_second/counter"});
    CHECK(pair.count_params() == 6);
}

TEST_CASE("layer: trainable recurses into sublayers and restores on unfreeze") {
    PairLayer pair;
    pair(Tensor::ones({1, 2}));
    pair.set_trainable(false);
    CHECK_FALSE(pair.first->trainable());
    CHECK(pair.trainable_weights().empty());
    CHECK(pair.first->trainable_weights().empty());
    CHECK(names(pair.non_trainable_weights()) == names(pair.weights()));
    CHECK_FALSE(pair.first->w.trainable());
    // A frozen variable is not watched by tapes.
    GradientTape tape;
    Tensor y = sum(pair(Tensor::ones({1, 2})));
    CHECK(tape.num_records() == 0);

    pair.set_trainable(true);
    CHECK(pair.first->w.trainable());
    CHECK_FALSE(pair.first->counter.trainable());  // created non-trainable: stays so
    CHECK(names(pair.trainable_weights()) == std::vector<std::string>{"pair_first/w", "pair_second/w"});
    // Freezing only a sublayer removes just its weights from the parent's trainable ones.
    pair.second->set_trainable(false);
    CHECK(names(pair.trainable_weights()) == std::vector<std::string>{"pair_first/w"});
}

TEST_CASE("layer: a layer created frozen creates non-trainable variables") {
    Scale frozen({.trainable = false});
    frozen(Tensor::ones({1, 2}));
    CHECK_FALSE(frozen->w.trainable());
    frozen->set_trainable(true);
    CHECK(frozen->w.trainable());
}

TEST_CASE("layer: get_weights copies, set_weights checks count and shapes") {
    Scale s({.name = "sw"});
    s(Tensor::ones({1, 2}));
    std::vector<Tensor> values = s->get_weights();
    REQUIRE(values.size() == 2);
    values[0].at({0}) = 5.0f;
    CHECK(s->w.value().at({0}) == 1.0f);  // a copy
    s->set_weights({Tensor{3.0f, 4.0f}, Tensor::scalar(1.0f)});
    CHECK(s(Tensor::ones({1, 2})).to_vector() == std::vector<float>{4.0f, 5.0f});
    CHECK_THROWS_WITH_AS(s->set_weights({Tensor{1.0f, 1.0f}}), doctest::Contains("Scale 'sw': set_weights expected 2 arrays, got 1"),
                         ValueError);
    CHECK_THROWS_WITH_AS(s->set_weights({Tensor{1.0f}, Tensor::scalar(0.0f)}),
                         doctest::Contains("weight 0 ('sw/w') has shape [2], got [1]"), ShapeError);
}

TEST_CASE("layer: regularization losses are computed from current values and recurse") {
    Scale s({.regularizer = regularizers::get("l2")});
    s(Tensor::ones({1, 2}));
    REQUIRE(s->losses().size() == 1);
    CHECK(s->losses()[0].item() == doctest::Approx(0.01 * 2));  // 0.01 * (1 + 1)
    s->w.assign(Tensor{3.0f, 0.0f});
    CHECK(s->losses()[0].item() == doctest::Approx(0.01 * 9));
    // Differentiable: d/dw of 0.01 * sum(w^2) = 0.02 w.
    GradientTape tape;
    Tensor penalty = s->losses()[0];
    CHECK(tape.gradient(penalty, std::vector<Variable>{s->w})[0].to_vector() == std::vector<float>{0.06f, 0.0f});
}

TEST_CASE("layer: constraints are applied by apply_constraints, recursively") {
    Scale s({.constraint = constraints::get("non_neg")});
    s(Tensor::ones({1, 2}));
    s->w.assign(Tensor{-1.0f, 2.0f});
    s->apply_constraints();
    CHECK(s->w.value().to_vector() == std::vector<float>{0.0f, 2.0f});
}

TEST_CASE("layer: base config and unsupported dtypes") {
    Scale s({.name = "cfg", .trainable = false});
    const nlohmann::json config = s->get_config();
    CHECK(config.at("name") == "cfg");
    CHECK(config.at("trainable") == false);
    CHECK(config.at("dtype") == nlohmann::json::parse(
                                    R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})"));
    struct Half : Layer {
        Half() : Layer(LayerOptions{.dtype = "float16"}, "half") {}
        std::string class_name() const override { return "Half"; }
    };
    CHECK_THROWS_WITH_AS(Half(), doctest::Contains("dtype 'float16' is not supported"), NotImplementedError);
}

TEST_CASE("registry: built-in layers by class name, custom registration, unknown names") {
    const auto names_now = serialization::registered_layers();
    CHECK(std::find(names_now.begin(), names_now.end(), "BatchNormalization") != names_now.end());
    LayerPtr bn = serialization::deserialize_layer(nlohmann::json::parse(
        R"({"class_name": "BatchNormalization", "config": {"name": "from_registry", "momentum": 0.5}})"));
    CHECK(bn->name() == "from_registry");
    CHECK(bn->class_name() == "BatchNormalization");
    const nlohmann::json object = serialization::serialize_layer(*bn);
    CHECK(object.at("module") == "keras.layers");
    CHECK(object.at("class_name") == "BatchNormalization");
    CHECK(serialization::deserialize_layer(object)->get_config() == bn->get_config());

    CHECK_THROWS_WITH_AS(serialization::layer_from_config("NoSuchLayer", nlohmann::json::object()),
                         doctest::Contains("Unknown layer class 'NoSuchLayer'"), ValueError);
    serialization::register_layer("Scale", [](const nlohmann::json& c) -> LayerPtr {
        return std::make_shared<ScaleLayer>(ScaleOptions{.name = c.at("name").get<std::string>()});
    });
    CHECK(serialization::layer_from_config("Scale", {{"name", "custom"}})->name() == "custom");
    CHECK_THROWS_AS(serialization::deserialize_layer(nlohmann::json::array()), ValueError);
}
