// Built against an installed kiln: computes a small gradient and checks it by hand.
#include <kiln/kiln.hpp>

#include <cmath>
#include <cstdio>

int main() {
    using namespace kiln;
    Tensor x{1.0f, 2.0f, 3.0f};
    GradientTape tape;
    tape.watch(x);
    Tensor y = sum(square(x));  // dy/dx = 2x
    Tensor g = tape.gradient(y, x);
    const bool ok = y.item() == 14.0f && g.at({0}) == 2.0f && g.at({1}) == 4.0f && g.at({2}) == 6.0f;
    std::printf("consumer: y=%g grad=%s %s\n", y.item(), g.str().c_str(), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
