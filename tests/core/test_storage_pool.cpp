// Large tensor buffers are reused after their tensors die; small ones and the bound are left to malloc.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "kiln/core/detail/storage_pool.hpp"

using namespace kiln;

TEST_CASE("storage pool: a freed large buffer serves the next tensor of about the same size") {
    detail::release_pooled_storage();
    const float* first = nullptr;
    {
        Tensor big = Tensor::zeros({1000, 1000});  // 4 MB: pooled
        first = big.data();
        CHECK(detail::pooled_bytes() == 0);
    }
    const int64_t held = detail::pooled_bytes();
    CHECK(held >= 4000000);
    CHECK(held <= 4000000 * 5 / 4 + 64);  // at most a quarter more than asked
    Tensor again = Tensor::full({999, 1001}, 2.0f);  // a slightly different size in the same class
    CHECK(again.data() == first);
    CHECK(detail::pooled_bytes() == 0);
    CHECK(again.at({998, 1000}) == 2.0f);
    detail::release_pooled_storage();
}

TEST_CASE("storage pool: small buffers are not pooled, and release empties the pool") {
    detail::release_pooled_storage();
    { Tensor small = Tensor::zeros({100}); }
    CHECK(detail::pooled_bytes() == 0);
    { Tensor big = Tensor::zeros({1 << 20}); }
    CHECK(detail::pooled_bytes() > 0);
    detail::release_pooled_storage();
    CHECK(detail::pooled_bytes() == 0);
}

TEST_CASE("storage pool: the pool never holds more than its bound") {
    detail::release_pooled_storage();
    {
        std::vector<Tensor> many;
        for (int i = 0; i < 12; ++i) many.push_back(Tensor::empty({int64_t{1} << 25}));  // 128 MiB each
    }
    CHECK(detail::pooled_bytes() <= detail::kMaxPooledBytes);
    CHECK(detail::pooled_bytes() >= detail::kMaxPooledBytes - (int64_t{128} << 20));
    detail::release_pooled_storage();
}
