// The `kiln` command-line tool run as a user runs it: `kiln summary FILE` on a config and on a .keras file, and
// `kiln predict MODEL IN.npy OUT.npy` whose output equals the model's own predictions.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

#ifdef KILN_CLI

using namespace kiln;
using kiln::testing::TempDir;
using Run = kiln::testing::CommandResult;
using kiln::testing::run_command;

namespace {

Run run_cli(const std::string& arguments) { return run_command(std::string(KILN_CLI) + " " + arguments); }

Model small_model() {
    return Sequential({layers::Input({3}), layers::Dense({.name = "hidden", .units = 4, .activation = "relu"}),
                       layers::BatchNormalization({.name = "norm"}), layers::Dense({.name = "out", .units = 2})},
                      "cli_model");
}

}  // namespace

TEST_CASE("kiln tool: summary of a .json config and of a .keras file prints the table and the parameter counts") {
    TempDir dir;
    const Model model = small_model();
    // Dense 3*4+4 = 16, BN 4*4 = 16 (8 non-trainable), Dense 4*2+2 = 10: 42 in all, 34 trainable.
    const std::string json_path = dir.path("model.json");
    std::ofstream(json_path) << model.to_json();
    const std::string keras_path = dir.path("model.keras");
    model.save(keras_path);
    for (const std::string& path : {json_path, keras_path}) {
        CAPTURE(path);
        const Run run = run_cli("summary " + path);
        CHECK(run.status == 0);
        CHECK(run.output.find("hidden (Dense)") != std::string::npos);
        CHECK(run.output.find("norm (BatchNormalization)") != std::string::npos);
        CHECK(run.output.find("Total params: 42") != std::string::npos);
        CHECK(run.output.find("Trainable params: 34") != std::string::npos);
        CHECK(run.output.find("Non-trainable params: 8") != std::string::npos);
    }
}

TEST_CASE("kiln tool: predict writes the model's predictions to a .npy file") {
    TempDir dir;
    const Model model = small_model();
    const std::string model_path = dir.path("model.keras"), in = dir.path("in.npy"), out = dir.path("out.npy");
    model.save(model_path);
    const Tensor x = Tensor::random_normal({5, 3}, 0.0f, 1.0f, 9);
    serialization::save_npy(in, x);
    const Run run = run_cli("predict " + model_path + " " + in + " " + out + " --batch-size 2");
    CHECK(run.status == 0);
    CHECK(allclose(serialization::load_npy(out), model.predict(x), 0.0f, 0.0f));
}

TEST_CASE("kiln tool: bad usage exits 2, a bad file exits 1 naming it") {
    TempDir dir;
    CHECK(run_cli("").status == 2);
    CHECK(run_cli("summary").status == 2);
    CHECK(run_cli("frobnicate x").status == 2);
    const Run missing = run_cli("summary " + dir.path("nothing.keras"));
    CHECK(missing.status == 1);
    CHECK(missing.output.find("nothing.keras") != std::string::npos);
    const std::string garbage = dir.path("garbage.json");
    std::ofstream(garbage) << "{\"class_name\": ";
    const Run bad = run_cli("summary " + garbage);
    CHECK(bad.status == 1);
    CHECK(bad.output.find("kiln summary:") != std::string::npos);
}

TEST_CASE("kiln tool: plot draws the learning curves of a CSVLogger file, and refuses a damaged one") {
    TempDir dir;
    const std::string log = dir.path("log.csv"), svg = dir.path("curves.svg");
    std::ofstream(log) << "epoch,loss,val_loss\n0,1.0,1.2\n1,0.5,0.7\n2,0.25,0.5\n";
    const Run run = run_cli("plot " + log + " " + svg);
    CHECK(run.status == 0);
    CHECK(kiln::testing::xml_count(svg, "polyline") == 2);  // training and validation loss
    CHECK(kiln::testing::xml_count(svg, "circle") == 6);
    std::ofstream(log) << "epoch,loss\n0,oops\n";
    const Run bad = run_cli("plot " + log + " " + svg);
    CHECK(bad.status == 1);
    CHECK(bad.output.find("'oops' is not a number") != std::string::npos);
    CHECK(run_cli("plot " + log).status == 2);
}

#endif
