// Trains a 2-4-1 multilayer perceptron on XOR with raw kiln ops, a GradientTape and hand-written SGD.
// Run: build/release/examples/xor_mlp
#include <kiln/kiln.hpp>

#include <cstdio>

using namespace kiln;

int main() {
    const Tensor x({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
    const Tensor y({0, 1, 1, 0}, {4, 1});

    Variable w1("w1", Tensor::random_normal({2, 4}, 0.0f, 1.0f, /*seed=*/1));
    Variable b1("b1", Tensor::zeros({4}));
    Variable w2("w2", Tensor::random_normal({4, 1}, 0.0f, 1.0f, /*seed=*/2));
    Variable b2("b2", Tensor::zeros({1}));
    const std::vector<Variable> params{w1, b1, w2, b2};
    const float learning_rate = 0.5f;

    float loss_value = 0.0f;
    for (int step = 0; step <= 3000; ++step) {
        GradientTape tape;  // trainable variables are watched automatically
        Tensor hidden = tanh(matmul(x, w1) + b1.value());
        Tensor p = sigmoid(matmul(hidden, w2) + b2.value());
        Tensor loss = mean(square(p - y));
        loss_value = loss.item();
        std::vector<Tensor> grads = tape.gradient(loss, params);
        for (size_t i = 0; i < params.size(); ++i) params[i].assign_sub(grads[i] * learning_rate);
        if (step % 500 == 0) std::printf("step %4d  loss %.6f\n", step, loss_value);
    }

    const Tensor p = sigmoid(matmul(tanh(matmul(x, w1) + b1.value()), w2) + b2.value());
    std::printf("\ninputs\n%s\npredictions\n%s\nfinal loss %.6f\n", x.str().c_str(), p.str().c_str(), loss_value);
    return loss_value < 0.01f ? 0 : 1;
}
