// The boundary every public loader runs in: foreign exceptions become kiln errors naming the loader, kiln errors
// pass unchanged, and the loading budget is active exactly while the loader runs.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <nlohmann/json.hpp>

#include "kiln/core/detail/loader_boundary.hpp"

using namespace kiln;
using kiln::detail::guarded_load;

TEST_CASE("guarded_load: foreign exceptions become kiln errors with the loader's name in front") {
    CHECK_THROWS_WITH_AS(guarded_load("load_x: 'f'", [] { throw std::bad_alloc(); }),
                         "load_x: 'f': not enough memory for what the file describes", MemoryError);
    CHECK_THROWS_WITH_AS(guarded_load("load_x: 'f'", [] { return std::string().reserve(SIZE_MAX), 0; }),
                         doctest::Contains("load_x: 'f': a size too large for memory"), MemoryError);
    CHECK_THROWS_WITH_AS(guarded_load("load_x: 'f'", [] { return std::vector<int>().at(3); }),
                         doctest::Contains("load_x: 'f': vector::_M_range_check"), IOError);
    CHECK_THROWS_WITH_AS(guarded_load("load_x: 'f'", [] { return nlohmann::json(1).at("key").get<int>(); }),
                         doctest::Contains("load_x: 'f': [json.exception.type_error"), IOError);
}

TEST_CASE("guarded_load: kiln errors pass unchanged, and values come back") {
    CHECK_THROWS_WITH_AS(guarded_load("load_x", [] { throw ShapeError("conv: bad"); }), "conv: bad", ShapeError);
    CHECK(guarded_load("load_x", [] { return 42; }) == 42);
}

TEST_CASE("guarded_load: the loading budget limits tensors inside, not after") {
    const int64_t saved = max_variable_elements();
    set_max_variable_elements(8);
    CHECK_THROWS_WITH_AS(guarded_load("load_x", [] { return Tensor::zeros({3, 3}); }),
                         "load_x: a tensor of 9 elements, more than the limit of 8 while loading (raise it with "
                         "kiln::set_max_variable_elements)",
                         MemoryError);
    CHECK(guarded_load("load_x", [] { return Tensor::zeros({2, 4}); }).size() == 8);
    CHECK(Tensor::zeros({3, 3}).size() == 9);
    set_max_variable_elements(saved);
}
