// CSVLogger: streams every epoch's logs to a CSV file, as keras.callbacks.CSVLogger.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "kiln/callbacks/callbacks.hpp"

namespace kiln {

struct CSVLoggerOptions {
    std::string filename{};
    std::string separator = ",";  // one character
    bool append = false;          // true: add to an existing file (no second header when it has one)
};

// Opens the file at on_train_begin (IOError naming the path when it cannot), writes the header
// "epoch<sep><keys of the first epoch's logs, sorted>" and then one row per epoch: the epoch number and each value
// as Python's repr() writes it ("NA" for a key missing that epoch), flushed each epoch. As Keras's csv writer, rows
// end in "\r\n" and fields holding the separator, a quote or a line break are quoted. Closes at on_train_end.
class CSVLogger : public Callback {
public:
    // ValueError when the separator is not one character.
    explicit CSVLogger(CSVLoggerOptions options);
    explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);

    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_end(const Logs& logs) override;

private:
    // Writes one row, quoting fields as Python's csv module does by default.
    void write_row(const std::vector<std::string>& fields);

    CSVLoggerOptions o_;
    std::ofstream file_;
    bool write_header_ = true;
    std::optional<std::vector<std::string>> keys_;
};

// Reads a file CSVLogger wrote back into a History (for plot_history, or the `kiln plot` command): the header
// names the columns, the first must be "epoch"; "NA" and empty fields become NaN. Fields may be quoted as the
// writer quotes them. IOError when the file cannot be read; ValueError naming the file and line for a row with
// the wrong number of fields, a value that is not a number, or a file without a header.
History read_csv_log(const std::string& path, char separator = ',');

}  // namespace kiln
