// Fractal heaps, where the 1.8 format keeps a dense group's links and a dense object's attributes: objects are
// found by heap ID through the doubling table of direct and indirect blocks.
#include <optional>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {
namespace {

constexpr int max_indirect_depth = 16;

bool power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace

FractalHeap::FractalHeap(const FileBytes& file, uint64_t address) : file_(&file) {
    Cursor at(file, address, "fractal heap");
    at.expect_signature("FRHP");
    const uint8_t version = at.u8();
    if (version != 0) at.fail(cat("fractal heap version ", int{version}, " is not 0"));
    id_length_ = at.u16();
    const uint16_t filter_length = at.u16();
    flags_ = at.u8();
    const uint32_t max_managed_size = at.u32();
    at.skip(file.length_size);   // next huge object ID
    huge_objects_ = at.address();
    at.skip(file.length_size);   // free space in managed blocks
    at.skip(file.offset_size);   // free space manager
    // Managed space, allocated managed space, allocation iterator offset, managed object count, and the sizes
    // and counts of huge and of tiny objects.
    at.skip(8 * uint64_t{file.length_size});
    table_width_ = at.u16();
    start_block_size_ = at.length();
    max_direct_block_size_ = at.length();
    max_heap_bits_ = at.u16();
    at.skip(2);  // starting rows of the root indirect block
    root_ = at.address();
    root_rows_ = at.u16();
    if (filter_length != 0) at.fail("filtered fractal heaps are not supported");
    at.verify_checksum(address);
    if (!power_of_two(table_width_) || !power_of_two(start_block_size_) || !power_of_two(max_direct_block_size_) ||
        max_direct_block_size_ < start_block_size_ || max_heap_bits_ == 0 || max_heap_bits_ > 64 ||
        root_rows_ > 64)
        at.fail(cat("an impossible doubling table (width ", table_width_, ", block sizes ", start_block_size_, " to ",
                    max_direct_block_size_, ", ", max_heap_bits_, " offset bits, ", root_rows_, " root rows)"));
    heap_offset_size_ = (max_heap_bits_ + 7u) / 8u;
    heap_length_size_ = std::min((log2_floor(max_direct_block_size_) + 7u) / 8u, encoded_size(max_managed_size));
    max_direct_rows_ = log2_floor(max_direct_block_size_) - log2_floor(start_block_size_) + 2;
}

uint64_t FractalHeap::row_block_size(unsigned row) const {
    return row == 0 ? start_block_size_ : start_block_size_ << (row - 1);
}

std::string_view FractalHeap::object(std::string_view heap_id) const {
    if (heap_id.empty()) file_->fail("an empty fractal heap ID");
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(heap_id[i]); };
    const uint8_t head = byte(0);
    if (head >> 6 != 0) file_->fail(cat("fractal heap ID version ", head >> 6, " is not 0"));
    const unsigned type = (head >> 4) & 3;
    if (type == 0) {
        uint64_t offset = 0;
        uint64_t length = 0;
        if (1 + heap_offset_size_ + heap_length_size_ > heap_id.size()) file_->fail("a fractal heap ID is too short");
        for (unsigned i = 0; i < heap_offset_size_; ++i) offset |= uint64_t{byte(1 + i)} << (8 * i);
        for (unsigned i = 0; i < heap_length_size_; ++i)
            length |= uint64_t{byte(1 + heap_offset_size_ + i)} << (8 * i);
        return managed(offset, length);
    }
    if (type == 2) {  // tiny: the object is inside the ID
        const bool extended = id_length_ > 18;
        const size_t start = extended ? 2 : 1;
        if (extended && heap_id.size() < 2) file_->fail("a tiny fractal heap ID is too short");
        const size_t length = (extended ? ((head & 0x0f) << 8 | byte(1)) : (head & 0x0f)) + 1u;
        if (start + length > heap_id.size()) file_->fail("a tiny fractal heap object is longer than its ID");
        return heap_id.substr(start, length);
    }
    if (type == 1) return huge(heap_id.substr(1));
    file_->fail("an unknown fractal heap ID type");
}

std::string_view FractalHeap::huge(std::string_view id) const {
    const auto field = [&](size_t start, size_t size) {
        uint64_t value = 0;
        for (size_t i = 0; i < size && start + i < id.size(); ++i)
            value |= uint64_t{static_cast<uint8_t>(id[start + i])} << (8 * i);
        return value;
    };
    const unsigned address_size = file_->offset_size, length_size = file_->length_size;
    // An ID wide enough holds the object's address and length itself; a narrower one is a key into the huge
    // objects' B-tree, whose records are (address, length, key).
    if (id.size() >= address_size + length_size) {
        Cursor at(*file_, file_->offset_of(id), file_->offset_of(id) + id.size(), "huge object ID");
        const uint64_t address = at.address();
        return file_->span(address, at.length(), "huge fractal heap object");
    }
    const uint64_t key = field(0, std::min<size_t>(id.size(), 8));
    std::optional<std::string_view> found;
    if (huge_objects_ == undefined_address) file_->fail("a huge fractal heap object without a B-tree");
    for_each_btree2_record(*file_, huge_objects_, [&](std::string_view record) {
        if (found || record.size() < address_size + 2 * uint64_t{length_size}) return;
        Cursor at(*file_, file_->offset_of(record), file_->offset_of(record) + record.size(), "huge object record");
        const uint64_t address = at.address();
        const uint64_t length = at.length();
        if (at.length() == key) found = file_->span(address, length, "huge fractal heap object");
    });
    if (!found) file_->fail(cat("the huge fractal heap object ", key, " is missing"));
    return *found;
}

std::string_view FractalHeap::managed(uint64_t offset, uint64_t length) const {
    if (root_ == undefined_address) file_->fail("a fractal heap without blocks holds an object");
    if (root_rows_ == 0) return in_direct_block(root_, 0, start_block_size_, offset, length);
    return in_indirect_block(root_, 0, root_rows_, offset, length, 0);
}

std::string_view FractalHeap::in_indirect_block(uint64_t block, uint64_t block_offset, unsigned rows,
                                                uint64_t offset, uint64_t length, int depth) const {
    if (depth > max_indirect_depth) file_->fail("fractal heap indirect blocks nest too deeply");
    Cursor at(*file_, block, "fractal heap indirect block");
    at.expect_signature("FHIB");
    at.skip(1 + uint64_t{file_->offset_size});  // version, heap header address
    if (at.uint(heap_offset_size_) != block_offset) at.fail("its block offset does not match its place");
    {
        Cursor whole = at;  // the checksum follows the child addresses
        whole.skip(uint64_t{rows} * table_width_ * file_->offset_size);
        whole.verify_checksum(block);
    }
    // Find the row and column of the child whose heap offsets hold `offset`.
    uint64_t row_start = block_offset;
    for (unsigned row = 0; row < rows; ++row) {
        const uint64_t size = row_block_size(row);
        if (size > (~uint64_t{0} - row_start) / table_width_) break;
        const uint64_t row_span = size * table_width_;
        if (offset >= row_start + row_span) {
            row_start += row_span;
            continue;
        }
        const uint64_t column = (offset - row_start) / size;
        const uint64_t entry = uint64_t{row} * table_width_ + column;
        at.skip(entry * file_->offset_size);
        const uint64_t child = at.address();
        if (child == undefined_address) at.fail(cat("the block holding heap offset ", offset, " is missing"));
        const uint64_t child_offset = row_start + column * size;
        if (row < max_direct_rows_) return in_direct_block(child, child_offset, size, offset, length);
        const unsigned child_rows = log2_floor(size) - log2_floor(start_block_size_ * table_width_) + 1;
        if (child_rows >= rows) at.fail("an indirect block has a child no smaller than itself");
        return in_indirect_block(child, child_offset, child_rows, offset, length, depth + 1);
    }
    at.fail(cat("heap offset ", offset, " lies outside the heap"));
}

std::string_view FractalHeap::in_direct_block(uint64_t block, uint64_t block_offset, uint64_t block_size,
                                              uint64_t offset, uint64_t length) const {
    Cursor at(*file_, block, block + block_size, "fractal heap direct block");
    at.expect_signature("FHDB");
    at.skip(1 + uint64_t{file_->offset_size});  // version, heap header address
    if (at.uint(heap_offset_size_) != block_offset) at.fail("its block offset does not match its place");
    const uint64_t header = at.position() - block + ((flags_ & 0x02) ? 4 : 0);
    const uint64_t inside = offset - block_offset;
    if (inside < header || inside > block_size || length > block_size - inside)
        at.fail(cat("an object of ", length, " bytes at heap offset ", offset, " does not fit the block"));
    return file_->span(block + inside, length, "fractal heap object");
}

}  // namespace kiln::serialization::detail::h5read
