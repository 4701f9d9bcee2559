#include "kiln/callbacks/callbacks.hpp"

#include "kiln/core/errors.hpp"

namespace kiln {

void History::on_train_begin(const Logs&) {
    history.clear();
    epochs.clear();
}

void History::on_epoch_end(int epoch, const Logs& logs) {
    epochs.push_back(epoch);
    for (const auto& [key, value] : logs) history[key].push_back(value);
}

const std::vector<double>& History::operator[](const std::string& key) const {
    auto found = history.find(key);
    if (found == history.end()) {
        std::string keys;
        for (const auto& [k, v] : history) keys += (keys.empty() ? "" : ", ") + k;
        throw ValueError(cat("History: no values logged as '", key, "' (logged: ", keys, ")"));
    }
    return found->second;
}

void LambdaCallback::on_epoch_begin(int epoch, const Logs& logs) {
    if (o_.on_epoch_begin) o_.on_epoch_begin(epoch, logs);
}
void LambdaCallback::on_epoch_end(int epoch, const Logs& logs) {
    if (o_.on_epoch_end) o_.on_epoch_end(epoch, logs);
}
void LambdaCallback::on_train_batch_begin(int64_t batch, const Logs& logs) {
    if (o_.on_train_batch_begin) o_.on_train_batch_begin(batch, logs);
}
void LambdaCallback::on_train_batch_end(int64_t batch, const Logs& logs) {
    if (o_.on_train_batch_end) o_.on_train_batch_end(batch, logs);
}
void LambdaCallback::on_train_begin(const Logs& logs) {
    if (o_.on_train_begin) o_.on_train_begin(logs);
}
void LambdaCallback::on_train_end(const Logs& logs) {
    if (o_.on_train_end) o_.on_train_end(logs);
}

}  // namespace kiln
