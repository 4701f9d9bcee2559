// Internal: iteration over the elements of a broadcast result. Each input gets strides in the output's index
// space (0 along broadcast axes); adjacent axes are merged where possible so that the inner loop is long.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kiln/core/shape.hpp"

namespace kiln::detail {

template <size_t N>
class BroadcastPlan {
public:
    BroadcastPlan(const Shape& out, const std::array<const Shape*, N>& inputs) {
        const int64_t rank = out.rank();
        std::vector<std::array<int64_t, N>> strides(rank);
        for (size_t k = 0; k < N; ++k) {
            const Shape& s = *inputs[k];
            int64_t stride = 1;
            for (int64_t i = rank - 1; i >= 0; --i) {
                const int64_t j = i - (rank - s.rank());
                const int64_t d = j >= 0 ? s[j] : 1;
                strides[i][k] = d == 1 ? 0 : stride;
                stride *= d;
            }
        }
        // Merge axis i into the following one when every input steps through both as one run.
        for (int64_t i = 0; i < rank; ++i) {
            if (out[i] == 1) continue;
            if (!dims_.empty()) {
                bool mergeable = true;
                for (size_t k = 0; k < N; ++k)
                    mergeable = mergeable && strides_.back()[k] == strides[i][k] * out[i];
                if (mergeable) {
                    dims_.back() *= out[i];
                    strides_.back() = strides[i];
                    continue;
                }
            }
            dims_.push_back(out[i]);
            strides_.push_back(strides[i]);
        }
        if (dims_.empty()) {
            dims_.push_back(1);
            strides_.push_back({});
        }
    }

    // Length of the innermost run and each input's step along it.
    int64_t inner() const { return dims_.back(); }
    int64_t inner_stride(size_t k) const { return strides_.back()[k]; }
    int64_t outer() const {
        int64_t n = 1;
        for (size_t i = 0; i + 1 < dims_.size(); ++i) n *= dims_[i];
        return n;
    }
    // Each input's offset at the start of outer row `row`.
    std::array<int64_t, N> offsets(int64_t row) const {
        std::array<int64_t, N> off{};
        for (int64_t i = static_cast<int64_t>(dims_.size()) - 2; i >= 0; --i) {
            const int64_t idx = row % dims_[i];
            row /= dims_[i];
            for (size_t k = 0; k < N; ++k) off[k] += idx * strides_[i][k];
        }
        return off;
    }

private:
    std::vector<int64_t> dims_;
    std::vector<std::array<int64_t, N>> strides_;
};

}  // namespace kiln::detail
