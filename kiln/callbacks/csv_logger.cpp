#include "kiln/callbacks/csv_logger.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

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

namespace {

// The fields of one CSV line; a quoted field may hold the separator and doubled quotes (as Python's csv writes).
std::vector<std::string> split_csv_line(const std::string& line, char separator, const std::string& where) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c != '"') {
                fields.back() += c;
            } else if (i + 1 < line.size() && line[i + 1] == '"') {
                fields.back() += '"';  // a doubled quote inside quotes
                ++i;
            } else {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == separator) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (quoted) throw ValueError(cat(where, ": a quoted field is not closed"));
    return fields;
}

}  // namespace

History read_csv_log(const std::string& path, char separator) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IOError(cat("read_csv_log: cannot open '", path, "'"));
    History history;
    std::vector<std::string> header;
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const std::string where = cat("read_csv_log: '", path, "' line ", number);
        auto fields = split_csv_line(line, separator, where);
        if (header.empty()) {
            if (fields.front() != "epoch") throw ValueError(cat(where, ": the header must start with 'epoch', got '", fields.front(), "'"));
            header = std::move(fields);
            continue;
        }
        if (fields.size() != header.size())
            throw ValueError(cat(where, ": ", fields.size(), " fields, the header has ", header.size()));
        std::vector<double> values;
        for (const std::string& field : fields) {
            if (field.empty() || field == "NA") {
                values.push_back(std::numeric_limits<double>::quiet_NaN());
                continue;
            }
            char* end = nullptr;
            const double v = std::strtod(field.c_str(), &end);
            if (end != field.c_str() + field.size()) throw ValueError(cat(where, ": '", field, "' is not a number"));
            values.push_back(v);
        }
        if (!(values[0] >= 0 && values[0] < 1e9 && values[0] == std::floor(values[0])))
            throw ValueError(cat(where, ": the epoch '", fields[0], "' is not a whole number >= 0"));
        history.epochs.push_back(static_cast<int>(values[0]));
        for (size_t i = 1; i < header.size(); ++i) history.history[header[i]].push_back(values[i]);
    }
    if (header.empty()) throw ValueError(cat("read_csv_log: '", path, "' has no header line"));
    return history;
}

}  // namespace kiln
