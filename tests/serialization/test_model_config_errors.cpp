// Model configs that kiln refuses: each error names where in the document the problem is (the path, the layer's
// class and name, the key), as users need to fix a file by hand.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <string>

using namespace kiln;

namespace {

// The message of the error `text` raises when loaded, which must be of type E.
template <class E>
std::string load_error(const std::string& text) {
    try {
        model_from_json(text);
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("wrong exception type: ", e.what());
    }
    FAIL("no error for: ", text);
    return "";
}

// A Keras 3 Sequential config whose third layer entry (index 2, after the InputLayer and a Dense) is `entry`.
std::string sequential_with(const std::string& entry) {
    std::string text = R"({"module": "keras", "class_name": "Sequential", "registered_name": null, "config": {
        "name": "s", "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in"}},
          {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 3}},
          )";
    text += entry;
    text += "]}}";
    return text;
}

// A legacy Functional config: input "in", then a Dense "dense" whose only node is `node`.
std::string functional_with(const std::string& node) {
    std::string text = R"({"class_name": "Functional", "config": {"name": "f", "layers": [
        {"name": "in", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"},
         "inbound_nodes": []},
        {"name": "dense", "class_name": "Dense", "config": {"name": "dense", "units": 1}, "inbound_nodes": [)";
    text += node;
    text += R"(]}], "input_layers": [["in", 0, 0]], "output_layers": [["dense", 0, 0]]}})";
    return text;
}

}  // namespace

TEST_CASE("model config errors: an unknown layer class names the class, the layer and the path") {
    const std::string message =
        load_error<ValueError>(sequential_with(R"({"class_name": "Foo", "config": {"name": "foo"}})"));
    CHECK(message.find("config.layers[2] (class 'Foo', name 'foo')") != std::string::npos);
    CHECK(message.find("Unknown layer class 'Foo'") != std::string::npos);
}

TEST_CASE("model config errors: a custom registered class is refused by name") {
    const std::string message = load_error<ValueError>(sequential_with(
        R"({"module": "my_pkg.layers", "class_name": "Dense", "registered_name": "my_pkg>Dense", "config": {"name": "mine", "units": 1}})"));
    CHECK(message.find("config.layers[2] (class 'Dense', name 'mine')") != std::string::npos);
    CHECK(message.find("my_pkg>Dense") != std::string::npos);
}

TEST_CASE("model config errors: an unknown config key names the layer, the key and the path") {
    const std::string message = load_error<ValueError>(
        sequential_with(R"({"class_name": "Dense", "config": {"name": "d2", "units": 2, "fancy": 1}})"));
    CHECK(message.find("config.layers[2] (class 'Dense', name 'd2')") != std::string::npos);
    CHECK(message.find("'fancy'") != std::string::npos);
}

TEST_CASE("model config errors: an unknown key in a layer entry or a model config") {
    CHECK(load_error<ValueError>(sequential_with(R"({"class_name": "Dense", "config": {"name": "d2", "units": 2},
        "extra": 1})")).find("config.layers[2] (class 'Dense', name 'd2'): unsupported or unknown key 'extra'") !=
          std::string::npos);
    CHECK(load_error<ValueError>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [], "colour": 1}})")
              .find("config: unsupported or unknown key 'colour'") != std::string::npos);
}

TEST_CASE("model config errors: a value of the wrong type names the key and the path") {
    const std::string message = load_error<ValueError>(
        sequential_with(R"({"class_name": "Dense", "config": {"name": "d2", "units": "ten"}})"));
    CHECK(message.find("config.layers[2] (class 'Dense', name 'd2')") != std::string::npos);
    CHECK(message.find("'units'") != std::string::npos);
    CHECK(message.find("\"ten\"") != std::string::npos);
}

TEST_CASE("model config errors: an unsupported argument raises NotImplementedError naming layer and key") {
    const std::string message = load_error<NotImplementedError>(R"({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "sparse": true, "name": "sparse_in"}}]}})");
    CHECK(message.find("config.layers[0] (class 'InputLayer', name 'sparse_in')") != std::string::npos);
    CHECK(message.find("'sparse'") != std::string::npos);
}

TEST_CASE("model config errors: malformed JSON gives the parser's position") {
    const std::string message = load_error<ValueError>("{\"class_name\": \"Sequential\",\n \"config\": [}");
    CHECK(message.find("malformed JSON") != std::string::npos);
    CHECK(message.find("line 2, column") != std::string::npos);
}

TEST_CASE("model config errors: a dangling inbound node reference names the missing layer") {
    const std::string message = load_error<ValueError>(functional_with(R"([["nope", 0, 0, {}]])"));
    CHECK(message.find("config.layers[1] (class 'Dense', name 'dense')") != std::string::npos);
    CHECK(message.find("config.layers[1].inbound_nodes[0]") != std::string::npos);
    CHECK(message.find("refers to layer 'nope', which is not in the model") != std::string::npos);
}

TEST_CASE("model config errors: a node index that no call produces") {
    const std::string message = load_error<ValueError>(functional_with(R"([["in", 3, 0, {}]])"));
    CHECK(message.find("config: the graph has a loop or refers to layer calls that do not exist") != std::string::npos);
    CHECK(message.find("config.layers[1].inbound_nodes[0] needs node 3 of 'in'") != std::string::npos);
}

TEST_CASE("model config errors: unsupported call arguments and an output tensor the layer does not have") {
    CHECK(load_error<NotImplementedError>(functional_with(R"([["in", 0, 0, {"scale": 2}]])"))
              .find("call argument 'scale' is not supported") != std::string::npos);
    const std::string message = load_error<ValueError>(functional_with(R"([["in", 0, 1, {}]])"));
    CHECK(message.find("refers to output 1 of node 0 of layer 'in', which has 1 output") != std::string::npos);
    std::string bad_output = functional_with(R"([["in", 0, 0, {}]])");
    bad_output.replace(bad_output.find(R"("output_layers": [["dense", 0, 0]])"),
                       std::string(R"("output_layers": [["dense", 0, 0]])").size(),
                       R"("output_layers": [["dense", 0, 0], ["dense", 0, 2]])");
    CHECK(load_error<ValueError>(bad_output).find("refers to output 2 of node 0 of layer 'dense', which has 1 output") !=
          std::string::npos);
}

TEST_CASE("model config errors: names that are not strings") {
    std::string entry_name = functional_with(R"([["in", 0, 0, {}]])");
    entry_name.replace(entry_name.find(R"("name": "dense", "class_name")"), 15, R"("name": 5)");
    CHECK(load_error<ValueError>(entry_name).find("config.layers[1].name: expected a string, got 5") !=
          std::string::npos);
    CHECK(load_error<ValueError>(R"({"class_name": "Sequential", "config": {"name": ["s"], "layers": []}})")
              .find("config.name: expected a string") != std::string::npos);
}

TEST_CASE("model config errors: documents that are not model configs") {
    CHECK(load_error<ValueError>(R"({"class_name": "Dense", "config": {"units": 2}})")
              .find("class_name: expected a model class") != std::string::npos);
    CHECK(load_error<ValueError>(R"({"units": 2})").find("not a model config") != std::string::npos);
    CHECK(load_error<ValueError>(R"({"modelTopology": {"model_config": {"class_name": "Sequential", "config": 3}}})")
              .find("modelTopology.model_config.config: a Sequential config must be") != std::string::npos);
}

TEST_CASE("model config errors: dtypes other than float32 and the mixed policies") {
    const std::string message = load_error<NotImplementedError>(
        sequential_with(R"({"class_name": "Dense", "config": {"name": "half", "units": 2, "dtype": "float16"}})"));
    CHECK(message.find("config.layers[2] (class 'Dense', name 'half')") != std::string::npos);
    CHECK(message.find("float16") != std::string::npos);
    CHECK(load_error<NotImplementedError>(R"({"class_name": "Sequential", "config": {"layers": [], "dtype": "int8"}})")
              .find("config.dtype") != std::string::npos);
}

TEST_CASE("model config errors: compile configs kiln cannot honour") {
    Sequential model({layers::Input({2}), layers::Dense({.units = 1})});
    auto compile_error = [&model](const char* text) -> std::string {
        try {
            compile_from_config(model, nlohmann::json::parse(text));
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    CHECK(compile_error(R"({"loss": "mse", "loss_weights": [1.0, 2.0]})")
              .find("loss_weights has 2 weights for a model with 1 output ('dense')") != std::string::npos);
    CHECK(compile_error(R"({"loss": "mse", "metrics": {"out": ["mae"]}})")
              .find("metrics names output 'out'; the model's outputs are 'dense'") != std::string::npos);
    CHECK(compile_error(R"({"loss": {"out": "mse"}})").find("loss names output 'out'") != std::string::npos);
    CHECK(compile_error(R"({"loss": "mse", "colour": 1})").find("compile_config: unsupported or unknown key 'colour'") !=
          std::string::npos);
    CHECK(compile_error(R"({"loss": "no_such_loss"})").find("compile_config: ") != std::string::npos);
    CHECK_FALSE(model.compiled());
}
