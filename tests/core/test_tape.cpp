// GradientTape semantics: recording, watch, trainable variables, persistence, nesting, stop_gradient,
// unconnected sources, and no recording without a tape.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;

TEST_CASE("tape: gradient of a watched tensor, by hand") {
    Tensor x{1.0f, 2.0f, 3.0f};
    GradientTape tape;
    tape.watch(x);
    Tensor y = sum(mul(x, x) + x * 3.0f);  // dy/dx = 2x + 3
    CHECK(tape.gradient(y, x).to_vector() == std::vector<float>{5, 7, 9});
}

TEST_CASE("tape: a non-scalar target is differentiated as its sum") {
    Tensor x{1.0f, -2.0f};
    GradientTape tape;
    tape.watch(x);
    Tensor y = square(x);  // d(sum y)/dx = 2x
    CHECK(tape.gradient(y, x).to_vector() == std::vector<float>{2, -4});
}

TEST_CASE("tape: gradients are returned per source, in order, and accumulate over uses") {
    Tensor a{2.0f};
    Tensor b{5.0f};
    GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    Tensor y = a * b + a * a;  // dy/da = b + 2a = 9, dy/db = a = 2
    auto g = tape.gradient(y, std::vector<Tensor>{b, a});
    REQUIRE(g.size() == 2);
    CHECK(g[0].item() == 2.0f);
    CHECK(g[1].item() == 9.0f);
}

TEST_CASE("tape: unwatched tensors are not recorded and get zero gradients") {
    Tensor x{1.0f, 2.0f};
    Tensor unrelated{4.0f, 4.0f, 4.0f};
    GradientTape tape;
    Tensor y = sum(square(x));
    CHECK(tape.num_records() == 0);
    auto g = tape.gradient(y, std::vector<Tensor>{x, unrelated});
    CHECK(g[0].to_vector() == std::vector<float>{0, 0});
    CHECK(g[1].shape() == Shape{3});
    CHECK(g[1].to_vector() == std::vector<float>{0, 0, 0});
}

TEST_CASE("tape: a watched source that the target does not depend on gets zeros") {
    Tensor x{1.0f};
    Tensor z{2.0f, 3.0f};
    GradientTape tape;
    tape.watch(x);
    tape.watch(z);
    Tensor y = x * 2.0f;
    auto g = tape.gradient(y, std::vector<Tensor>{x, z});
    CHECK(g[0].item() == 2.0f);
    CHECK(g[1].to_vector() == std::vector<float>{0, 0});
}

TEST_CASE("tape: trainable variables are watched automatically, non-trainable ones are not") {
    Variable w("w", Tensor{3.0f});
    Variable frozen("frozen", Tensor{4.0f}, false);
    GradientTape tape;
    Tensor y = w.value() * frozen.value();
    auto g = tape.gradient(y, std::vector<Variable>{w, frozen});
    CHECK(g[0].item() == 4.0f);
    CHECK(g[1].item() == 0.0f);

    frozen.set_trainable(true);
    GradientTape tape2;
    Tensor y2 = w.value() * frozen.value();
    CHECK(tape2.gradient(y2, std::vector<Variable>{frozen})[0].item() == 3.0f);
}

TEST_CASE("tape: a non-persistent tape is spent after one gradient, a persistent one is not") {
    Tensor x{2.0f};
    {
        GradientTape tape;
        tape.watch(x);
        Tensor y = square(x);
        CHECK(tape.gradient(y, x).item() == 4.0f);
        CHECK_THROWS_WITH_AS(tape.gradient(y, x), doctest::Contains("non-persistent tape was already used"),
                             StateError);
    }
    {
        GradientTape tape(true);
        tape.watch(x);
        Tensor y = square(x);
        Tensor z = y * 3.0f;
        CHECK(tape.gradient(y, x).item() == 4.0f);
        CHECK(tape.gradient(z, x).item() == 12.0f);
        CHECK(tape.gradient(z, y).item() == 3.0f);
    }
}

TEST_CASE("tape: stop_gradient blocks the flow but keeps the values") {
    Tensor x{3.0f};
    GradientTape tape;
    tape.watch(x);
    Tensor frozen = stop_gradient(x);
    CHECK(frozen.item() == 3.0f);
    Tensor y = x * frozen;  // d/dx treats frozen as a constant: 3
    CHECK(tape.gradient(y, x).item() == 3.0f);
}

TEST_CASE("tape: no tape, no recording") {
    Tensor x{1.0f};
    CHECK_FALSE(autograd::is_recording());
    {
        GradientTape tape;
        CHECK(autograd::is_recording());
    }
    CHECK_FALSE(autograd::is_recording());
    Variable w("w", Tensor{1.0f});
    GradientTape later;
    CHECK(later.num_records() == 0);  // ops before the tape existed were never recorded
    Tensor y = w.value() * 2.0f;
    CHECK(later.num_records() == 1);
}

TEST_CASE("tape: nested tapes record independently") {
    Tensor x{2.0f};
    GradientTape outer;
    outer.watch(x);
    Tensor y;
    {
        GradientTape inner;
        inner.watch(x);
        y = x * x * x;
        CHECK(inner.gradient(y, x).item() == 12.0f);  // 3x^2
    }
    Tensor z = y * 2.0f;
    CHECK(outer.gradient(z, x).item() == 24.0f);
}

TEST_CASE("tape: nested tapes give second derivatives") {
    Tensor x{2.0f};
    GradientTape outer;
    outer.watch(x);
    Tensor dy;
    {
        GradientTape inner;
        inner.watch(x);
        Tensor y = x * x * x;
        dy = inner.gradient(y, x);  // 3x^2 = 12
    }
    CHECK(dy.item() == 12.0f);
    CHECK(outer.gradient(dy, x).item() == 12.0f);  // 6x = 12
}

TEST_CASE("tape: gradients through views (reshape, slice, copy)") {
    Tensor x = Tensor::arange(6);
    GradientTape tape;
    tape.watch(x);
    Tensor rows = x.reshape({3, 2}).slice(1, 3).copy();  // elements 2..5
    Tensor y = sum(rows * rows);
    CHECK(tape.gradient(y, x).to_vector() == std::vector<float>{0, 0, 4, 6, 8, 10});
}

TEST_CASE("tape: the gradient of a slice is differentiable again") {
    Tensor x{1.0f, 2.0f};
    GradientTape outer;
    outer.watch(x);
    Tensor g;
    {
        GradientTape inner;
        inner.watch(x);
        g = inner.gradient(sum(pow(x.slice(0, 1), 3.0f)), x);  // [3 x0^2, 0]
    }
    CHECK(g.to_vector() == std::vector<float>{3, 0});
    CHECK(outer.gradient(g, x).to_vector() == std::vector<float>{6, 0});  // [6 x0, 0]
}

TEST_CASE("tape: a second-order gradient through a fused kernel raises instead of missing a term") {
    Tensor x = Tensor::arange(8).reshape({1, 4, 2, 1});
    GradientTape outer;
    outer.watch(x);
    Tensor g;
    {
        GradientTape inner;
        inner.watch(x);
        g = inner.gradient(sum(square(max_pool2d(x, {.pool_size = {2, 2}}))), x);
    }
    CHECK_THROWS_WITH_AS(outer.gradient(g, x), doctest::Contains("max_pool2d: the gradient of this op's gradient"),
                         NotImplementedError);
}

TEST_CASE("tape: invalid arguments") {
    GradientTape tape;
    CHECK_THROWS_AS(tape.watch(Tensor()), ValueError);
    CHECK_THROWS_AS(tape.gradient(Tensor(), Tensor{1.0f}), ValueError);
}

TEST_CASE("tape: PauseRecording stops every tape on the thread for its scope") {
    Tensor x{2.0f};
    GradientTape tape;
    tape.watch(x);
    Tensor y;
    {
        autograd::PauseRecording pause;
        CHECK_FALSE(autograd::is_recording());
        y = x * 3.0f;
    }
    CHECK(autograd::is_recording());
    CHECK(tape.num_records() == 0);
    Tensor z = x * 5.0f;
    CHECK(tape.gradient(z + y, x).item() == 5.0f);  // y was computed unrecorded: a constant
}

TEST_CASE("tape: output_gradient seeds the backward pass (a vector-Jacobian product)") {
    // y = x^2 * 3 elementwise; with seed v, dL/dx = v * 6x.
    Tensor x{1.0f, -2.0f, 0.5f};
    Tensor v{2.0f, 0.5f, -4.0f};
    GradientTape tape;
    tape.watch(x);
    Tensor y = mul(square(x), Tensor::scalar(3.0f));
    Tensor g = tape.gradient(y, std::vector<Tensor>{x}, v)[0];
    CHECK(g.to_vector() == std::vector<float>{12.0f, -6.0f, -12.0f});
    GradientTape other;
    other.watch(x);
    Tensor z = square(x);
    CHECK_THROWS_WITH_AS(other.gradient(z, std::vector<Tensor>{x}, Tensor{1.0f, 2.0f}),
                         doctest::Contains("output_gradient has shape [2], expected the target's shape [3]"),
                         ShapeError);
}
