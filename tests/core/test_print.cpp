// Tensor::str() against what NumPy prints for the same float32 arrays (written out by hand from NumPy's rules).
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <sstream>

using namespace kiln;

TEST_CASE("print: integral values print with a trailing point") {
    CHECK(Tensor({1, 2, 3, 4}, {2, 2}).str() == "[[1. 2.]\n [3. 4.]]");
    CHECK(Tensor{-1.0f, 2.0f}.str() == "[-1.  2.]");
    CHECK(Tensor::scalar(3.0f).str() == "3.0");
}

TEST_CASE("print: fractions align on the decimal point") {
    CHECK(Tensor{0.5f, 1.25f}.str() == "[0.5  1.25]");
    CHECK(Tensor{0.1f, -2.5f}.str() == "[ 0.1 -2.5]");
    CHECK(Tensor::scalar(0.1f).str() == "0.1");
}

TEST_CASE("print: wide ranges switch to scientific notation") {
    CHECK(Tensor{1e-5f, 1.0f}.str() == "[1.e-05 1.e+00]");
    CHECK(Tensor{1.5e9f, 2.0f}.str() == "[1.5e+09 2.0e+00]");
    CHECK(Tensor{1.0f, 10000.0f}.str() == "[1.e+00 1.e+04]");
    CHECK(Tensor{0.0f, 1.0f, 999.0f}.str() == "[  0.   1. 999.]");
}

TEST_CASE("print: rank 3 separates blocks with a blank line") {
    CHECK(Tensor::arange(8).reshape({2, 2, 2}).str() == "[[[0. 1.]\n  [2. 3.]]\n\n [[4. 5.]\n  [6. 7.]]]");
}

TEST_CASE("print: large tensors are summarized, empty ones print as ()") {
    const std::string s = Tensor::arange(2000).str();
    CHECK(s == "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]");
    CHECK(Tensor::arange(1001).reshape({1001, 1}).str() ==
          "[[   0.]\n [   1.]\n [   2.]\n ...\n [ 998.]\n [ 999.]\n [1000.]]");
    CHECK(Tensor::zeros({0}).str() == "[]");
    CHECK(Tensor{NAN, 1.0f}.str() == "[nan  1.]");
    std::ostringstream out;
    out << Tensor{2.0f};
    CHECK(out.str() == "[2.]");
}
