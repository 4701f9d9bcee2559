#include "kiln/callbacks/model_checkpoint.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "kiln/core/errors.hpp"
#include "kiln/callbacks/format.hpp"
#include "kiln/models/model.hpp"

namespace kiln {

namespace {

std::string available_names(const Logs& logs, bool has_batch) {
    std::string names = has_batch ? "epoch, batch" : "epoch";
    for (const auto& [name, value] : logs) {
        names += ", ";
        names += name;
    }
    return names;
}

// One field's value with a Python format spec ("", "03d", ".2f", "8.3e", ...); `is_integer` allows "d".
std::string format_field(const std::string& field, double value, bool is_integer, const std::string& spec) {
    if (spec.empty()) return is_integer ? std::to_string(static_cast<int64_t>(value)) : python_float(value);
    size_t i = 0;
    std::string printf_spec = "%";
    if (spec[i] == '0') printf_spec += spec[i++];
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) printf_spec += spec[i++];
    if (i < spec.size() && spec[i] == '.') {
        printf_spec += spec[i++];
        if (i == spec.size() || !std::isdigit(static_cast<unsigned char>(spec[i])))
            throw ValueError(cat("ModelCheckpoint filepath: field '", field, "' has a bad format spec '", spec, "'"));
        while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) printf_spec += spec[i++];
    }
    const char type = i < spec.size() ? spec[i++] : 'g';
    if (i != spec.size() || std::string("dfeg").find(type) == std::string::npos)
        throw ValueError(cat("ModelCheckpoint filepath: field '", field, "' has an unsupported format spec '", spec,
                             "' (supported: [0][width][.precision][d|f|e|g])"));
    if (type == 'd' && !is_integer)
        throw ValueError(cat("ModelCheckpoint filepath: field '", field, "' is a float; format code 'd' is for epoch and batch"));
    char buffer[128];
    if (type == 'd') {
        printf_spec += "lld";
        std::snprintf(buffer, sizeof buffer, printf_spec.c_str(), static_cast<long long>(value));
    } else {
        printf_spec += type;
        std::snprintf(buffer, sizeof buffer, printf_spec.c_str(), value);
    }
    return buffer;
}

std::string best_text(std::optional<double> best, bool maximize) {
    if (!best) return maximize ? "-inf" : "inf";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.5f", *best);
    return buffer;
}

}  // namespace

std::string format_checkpoint_path(const std::string& pattern, int epoch, std::optional<int64_t> batch, const Logs& logs) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {
            out += c;
            ++i;
            continue;
        }
        if (c == '}') throw ValueError(cat("ModelCheckpoint filepath '", pattern, "': single '}' at position ", i));
        if (c != '{') {
            out += c;
            continue;
        }
        const size_t close = pattern.find('}', i);
        if (close == std::string::npos)
            throw ValueError(cat("ModelCheckpoint filepath '", pattern, "': '{' at position ", i, " is never closed"));
        const std::string inside = pattern.substr(i + 1, close - i - 1);
        const size_t colon = inside.find(':');
        const std::string name = inside.substr(0, colon);
        const std::string spec = colon == std::string::npos ? "" : inside.substr(colon + 1);
        if (name == "epoch") {
            out += format_field(name, epoch + 1, true, spec);
        } else if (name == "batch" && batch) {
            out += format_field(name, static_cast<double>(*batch + 1), true, spec);
        } else if (auto it = logs.find(name); it != logs.end()) {
            out += format_field(name, it->second, false, spec);
        } else {
            throw ValueError(cat("ModelCheckpoint filepath '", pattern, "': no value for field '", name,
                                 "'; available: ", available_names(logs, batch.has_value())));
        }
        i = close;
    }
    return out;
}

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options)
    : o_(std::move(options)), monitor_("ModelCheckpoint", o_.monitor, o_.mode, 0.0) {
    const std::string required = o_.save_weights_only ? ".weights.h5" : ".keras";
    if (!o_.filepath.ends_with(required))
        throw ValueError(cat("ModelCheckpoint: with save_weights_only=", o_.save_weights_only ? "true" : "false",
                             " the filepath must end in '", required, "', got '", o_.filepath, "'"));
    if (o_.save_freq < 0) throw ValueError(cat("ModelCheckpoint: save_freq must be >= 0 (0 = every epoch), got ", o_.save_freq));
}

void ModelCheckpoint::on_train_begin(const Logs&) {
    best_ = o_.initial_value_threshold;
    batches_since_save_ = 0;
}

void ModelCheckpoint::on_epoch_begin(int epoch, const Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_epoch_end(int epoch, const Logs& logs) {
    if (o_.save_freq == 0) save(epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(int64_t batch, const Logs& logs) {
    if (o_.save_freq == 0 || ++batches_since_save_ < o_.save_freq) return;
    batches_since_save_ = 0;
    save(current_epoch_, batch, logs);
}

void ModelCheckpoint::save(int epoch, std::optional<int64_t> batch, const Logs& logs) {
    const std::string path = format_checkpoint_path(o_.filepath, epoch, batch, logs);
    if (o_.save_best_only) {
        monitor_.resolve(model());
        const std::optional<double> current = monitor_.value(logs);
        if (!current) return;  // value() has warned that the monitored quantity is missing
        if (!monitor_.is_improvement(*current, best_)) {
            if (o_.verbose > 0)
                std::cout << "\nEpoch " << epoch + 1 << ": " << o_.monitor << " did not improve from "
                          << best_text(best_, monitor_.maximize()) << "\n";
            return;
        }
        if (o_.verbose > 0)
            std::cout << "\nEpoch " << epoch + 1 << ": " << o_.monitor << " improved from "
                      << best_text(best_, monitor_.maximize()) << " to " << best_text(current, false)
                      << ", saving model to " << path << "\n";
        best_ = current;
    } else if (o_.verbose > 0) {
        std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
    }
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
    if (o_.save_weights_only)
        model()->save_weights(path);
    else
        model()->save(path);
    last_saved_ = path;
}

}  // namespace kiln
