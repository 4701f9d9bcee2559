// Variable: names, shape-checked assignment in place, trainable flag.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;

TEST_CASE("variable: holds a copy of its initial value") {
    Tensor init{1.0f, 2.0f};
    Variable v("layer/kernel", init);
    init.at({0}) = 100.0f;
    CHECK(v.name() == "layer/kernel");
    CHECK(v.shape() == Shape{2});
    CHECK(v.value().to_vector() == std::vector<float>{1, 2});
    CHECK(v.trainable());
    CHECK(v.value().id() == v.value().id());
}

TEST_CASE("variable: assign, assign_add and assign_sub write in place and check shapes") {
    Variable v("v", Tensor{1.0f, 2.0f});
    const Tensor live = v.value();
    v.assign(Tensor{5.0f, 6.0f});
    CHECK(live.to_vector() == std::vector<float>{5, 6});
    v.assign_add(Tensor{1.0f, 1.0f});
    CHECK(v.value().to_vector() == std::vector<float>{6, 7});
    v.assign_sub(Tensor{6.0f, 6.0f});
    CHECK(v.value().to_vector() == std::vector<float>{0, 1});
    CHECK_THROWS_WITH_AS(v.assign(Tensor{1.0f}), doctest::Contains("assign: variable 'v' has shape [2], the value has shape [1]"),
                         ShapeError);
    CHECK_THROWS_AS(v.assign_add(Tensor::zeros({2, 1})), ShapeError);
    CHECK_THROWS_AS(v.assign_sub(Tensor()), ValueError);
}

TEST_CASE("variable: handles share state, the trainable flag can change") {
    Variable a("a", Tensor{1.0f}, false);
    Variable b = a;
    CHECK(b.same_as(a));
    CHECK_FALSE(a.trainable());
    b.set_trainable(true);
    CHECK(a.trainable());
    CHECK_FALSE(Variable().defined());
    CHECK_THROWS_AS(Variable().value(), StateError);
}
