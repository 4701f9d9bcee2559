#include "kiln/callbacks/csv_logger.hpp"

#include <filesystem>

#include "kiln/core/errors.hpp"
#include "kiln/callbacks/format.hpp"

namespace kiln {

CSVLogger::CSVLogger(CSVLoggerOptions options) : o_(std::move(options)) {
    if (o_.separator.size() != 1)
        throw ValueError(cat("CSVLogger: separator must be one character, got '", o_.separator, "'"));
}

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : CSVLogger(CSVLoggerOptions{
          .filename = std::move(filename), .separator = std::move(separator), .append = append}) {}

void CSVLogger::on_train_begin(const Logs&) {
    // Appending to a file with any content: it has its header already.
    std::error_code missing;
    const auto size = std::filesystem::file_size(o_.filename, missing);
    write_header_ = !o_.append || missing || size == 0;
    if (file_.is_open()) file_.close();
    file_.clear();
    file_.open(o_.filename, std::ios::binary | (o_.append ? std::ios::app : std::ios::trunc));
    if (!file_) throw IOError(cat("CSVLogger: cannot open '", o_.filename, "' for writing"));
    keys_.reset();
}

void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
    if (!keys_) {
        keys_.emplace();
        for (const auto& [key, value] : logs) keys_->push_back(key);  // Logs is sorted by key
        if (write_header_) {
            std::vector<std::string> header{"epoch"};
            header.insert(header.end(), keys_->begin(), keys_->end());
            write_row(header);
        }
    }
    std::vector<std::string> row{std::to_string(epoch)};
    for (const std::string& key : *keys_) {
        auto found = logs.find(key);
        row.push_back(found == logs.end() ? "NA" : python_float(found->second));
    }
    write_row(row);
    file_.flush();
    if (!file_) throw IOError(cat("CSVLogger: cannot write to '", o_.filename, "'"));
}

void CSVLogger::on_train_end(const Logs&) {
    if (file_.is_open()) file_.close();
}

void CSVLogger::write_row(const std::vector<std::string>& fields) {
    const char separator = o_.separator[0];
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) file_ << separator;
        const std::string& field = fields[i];
        if (field.find_first_of(std::string{separator, '"', '\r', '\n'}) == std::string::npos) {
            file_ << field;
            continue;
        }
        file_ << '"';
        for (char c : field) file_ << (c == '"' ? "\"\"" : std::string(1, c));
        file_ << '"';
    }
    file_ << "\r\n";
}

}  // namespace kiln
