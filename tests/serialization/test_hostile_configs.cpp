// Configs built to hurt the reader: nesting thousands deep, graphs whose inbound nodes form loops, and shapes whose
// probe tensors would not fit in memory. Each gives a kiln::Error with a message saying what is wrong.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <string>

using namespace kiln;

namespace {

// `depth` Sequential models, each holding the next, around one Dense: three JSON levels per model.
nlohmann::json nested_sequentials(int depth) {
    nlohmann::json inner = {{"class_name", "Dense"}, {"config", {{"name", "leaf"}, {"units", 2}}}};
    for (int d = 0; d < depth; ++d)
        inner = {{"class_name", "Sequential"}, {"config", {{"name", cat("s", d)}, {"layers", {inner}}}}};
    return inner;
}

nlohmann::json functional(const nlohmann::json& layers) {
    return {{"class_name", "Functional"},
            {"config",
             {{"name", "m"},
              {"layers", layers},
              {"input_layers", {{"in", 0, 0}}},
              {"output_layers", {{layers.back()["name"], 0, 0}}}}}};
}

nlohmann::json input_entry() {
    return {{"class_name", "InputLayer"},
            {"name", "in"},
            {"config", {{"batch_shape", {nullptr, 4}}, {"name", "in"}}},
            {"inbound_nodes", nlohmann::json::array()}};
}

nlohmann::json dense_entry(const std::string& name, const std::string& source) {
    return {{"class_name", "Dense"},
            {"name", name},
            {"config", {{"name", name}, {"units", 4}}},
            {"inbound_nodes", {{{source, 0, 0, nlohmann::json::object()}}}}};
}

}  // namespace

TEST_CASE("hostile configs: JSON nested 100,000 deep is a ValueError, not a stack overflow") {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    CHECK_THROWS_WITH_AS(model_from_json(deep), doctest::Contains("nest more than 512 deep"), ValueError);
    // The same bound holds for a config already parsed by the caller.
    CHECK_THROWS_WITH_AS(model_from_config(nested_sequentials(1000)), doctest::Contains("nest more than 512 deep"),
                         ValueError);
}

TEST_CASE("hostile configs: models nested 150 deep (450 JSON levels) still load") {
    const Model model = model_from_json(nested_sequentials(150).dump());
    CHECK(model->layers().size() == 1);
}

TEST_CASE("hostile configs: inbound nodes that refer to the layer itself, or to each other, are a loop error") {
    const nlohmann::json self_loop = functional({input_entry(), dense_entry("d1", "d1")});
    CHECK_THROWS_WITH_AS(model_from_config(self_loop), doctest::Contains("the graph has a loop"), ValueError);
    const nlohmann::json two_loop = functional({input_entry(), dense_entry("a", "b"), dense_entry("b", "a")});
    CHECK_THROWS_WITH_AS(model_from_config(two_loop), doctest::Contains("needs node 0 of 'a'"), ValueError);
    // Layers listed before the layers they take input from are not a loop.
    const nlohmann::json out_of_order = functional({input_entry(), dense_entry("b", "a"), dense_entry("a", "in")});
    CHECK(model_from_config(out_of_order).predict(Tensor::ones({3, 4})).shape() == Shape{3, 4});
}

TEST_CASE("hostile configs: an input example larger than the loading budget is a MemoryError, not an allocation") {
    // Probing Conv2D's output shape would allocate a 1 x 65536 x 65536 x 1 example (2^32 floats, 16 GiB).
    const nlohmann::json config = {
        {"class_name", "Sequential"},
        {"config",
         {{"name", "s"},
          {"layers",
           {{{"class_name", "InputLayer"}, {"config", {{"batch_shape", {nullptr, 65536, 65536, 1}}, {"name", "in"}}}},
            {{"class_name", "Conv2D"}, {"config", {{"name", "c"}, {"filters", 1}, {"kernel_size", {1, 1}}}}}}}}}};
    CHECK_THROWS_WITH_AS(model_from_config(config), doctest::Contains("a tensor of 4294967296 elements, more than the limit"),
                         MemoryError);
}

TEST_CASE("hostile configs: the loading budget holds only while a loader runs") {
    const int64_t saved = max_variable_elements();
    set_max_variable_elements(50);
    const nlohmann::json config = {
        {"class_name", "Sequential"},
        {"config",
         {{"name", "s"},
          {"layers",
           {{{"class_name", "InputLayer"}, {"config", {{"batch_shape", {nullptr, 10, 10}}, {"name", "in"}}}},  // each size allowed, 100 in all
            {{"class_name", "Activation"}, {"config", {{"name", "a"}, {"activation", "relu"}}}}}}}}};
    CHECK_THROWS_WITH_AS(model_from_config(config), doctest::Contains("a tensor of 100 elements"), MemoryError);
    CHECK(Tensor::zeros({1, 100}).size() == 100);  // the user's own tensors are not limited
    set_max_variable_elements(saved);
}
