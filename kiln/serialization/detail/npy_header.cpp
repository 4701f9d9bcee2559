// A recursive-descent reader for the small subset of Python literals a .npy header uses.
#include "kiln/serialization/detail/npy_header.hpp"

#include <cctype>
#include <limits>

#include "kiln/core/errors.hpp"

namespace kiln::serialization::detail {
namespace {

class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

    NpyHeader parse() {
        NpyHeader h;
        bool has_descr = false, has_order = false, has_shape = false;
        expect('{');
        while (!accept('}')) {
            const std::string key = string_literal();
            expect(':');
            if (key == "descr") {
                seen(has_descr, key);
                if (peek() == '[') throw NotImplementedError(cat(source_, ": structured dtypes are not supported"));
                h.descr = string_literal();
            } else if (key == "fortran_order") {
                seen(has_order, key);
                h.fortran_order = boolean();
            } else if (key == "shape") {
                seen(has_shape, key);
                h.shape = tuple();
            } else {
                fail(cat("unknown key '", key, "'"));
            }
            if (!accept(',')) {
                expect('}');
                break;
            }
        }
        skip_space();
        if (pos_ != text_.size()) fail("unexpected text after the dict");
        if (!has_descr || !has_order || !has_shape)
            fail("the dict needs the keys 'descr', 'fortran_order' and 'shape'");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw IOError(cat(source_, ": bad header (", what, "): ", text_));
    }
    void seen(bool& flag, const std::string& key) const {
        if (flag) fail(cat("key '", key, "' given twice"));
        flag = true;
    }
    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    char peek() {
        skip_space();
        return pos_ < text_.size() ? text_[pos_] : '\0';
    }
    bool accept(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    void expect(char c) {
        if (!accept(c)) fail(cat("expected '", c, "' at offset ", pos_));
    }
    bool accept_word(std::string_view word) {
        skip_space();
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }
    std::string string_literal() {
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail(cat("expected a quoted string at offset ", pos_));
        const size_t end = text_.find(quote, pos_ + 1);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string out(text_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return out;
    }
    bool boolean() {
        if (accept_word("True")) return true;
        if (accept_word("False")) return false;
        fail(cat("expected True or False at offset ", pos_));
    }
    int64_t integer() {
        skip_space();
        int64_t v = 0;
        const size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            const int64_t digit = text_[pos_++] - '0';
            if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) fail("a dimension is too large");
            v = v * 10 + digit;
        }
        if (pos_ == start) fail(cat("expected a dimension at offset ", pos_));
        if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 longs
        return v;
    }
    // "()", "(3,)", "(2, 3)" or "(2, 3,)".
    std::vector<int64_t> tuple() {
        std::vector<int64_t> out;
        expect('(');
        while (!accept(')')) {
            out.push_back(integer());
            if (!accept(',')) {
                expect(')');
                break;
            }
        }
        return out;
    }

    std::string_view text_;
    const std::string& source_;
    size_t pos_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(std::string_view text, const std::string& source) {
    return HeaderParser(text, source).parse();
}

std::string format_npy_header(const NpyHeader& header) {
    std::string shape;
    for (int64_t d : header.shape) shape += cat(shape.empty() ? "" : " ", d, ",");
    if (header.shape.size() > 1) shape.pop_back();  // NumPy writes (5,) but (2, 3)
    std::string out = "{'descr': '";
    out += header.descr;
    out += "', 'fortran_order': ";
    out += header.fortran_order ? "True" : "False";
    out += ", 'shape': (";
    out += shape;
    out += "), }";
    return out;
}

}  // namespace kiln::serialization::detail
