// The parts of the HDF5 file format kiln reads (the subset h5py, Keras and libhdf5's 1.8 format write), decoded
// from a FileBytes with every size and count checked against the bytes that hold it. Reference: the HDF5 File
// Format Specification, version 3.0; field names below follow it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/serialization/detail/h5read/bytes.hpp"

namespace kiln::serialization::detail::h5read {

// --- superblock and object headers (object_header.cpp) ---

// Finds the superblock (at byte 0 or after a user block of 512, 1024, 2048, ... bytes), sets the file's address
// and length sizes and base address, and returns the root group's object header address.
uint64_t read_superblock(FileBytes& file);

// One header message: its type and where its body lies in the file.
struct Message {
    uint16_t type = 0;
    uint8_t flags = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
};

namespace message_type {
inline constexpr uint16_t dataspace = 0x01, link_info = 0x02, datatype = 0x03, link = 0x06, layout = 0x08,
                          filter_pipeline = 0x0B, attribute = 0x0C, continuation = 0x10, symbol_table = 0x11,
                          attribute_info = 0x15;
}

// Every message of the object header at `address` (version 1 or 2), continuation blocks followed.
std::vector<Message> read_object_header(const FileBytes& file, uint64_t address);

// A cursor over a message's body; IOError when the message is a shared one (kiln does not read shared messages).
Cursor message_body(const FileBytes& file, const Message& message, std::string_view what);

// --- element types and shapes (messages.cpp) ---

struct Datatype {
    enum Class : uint8_t {
        fixed_point = 0, floating_point = 1, time = 2, string = 3, bitfield = 4, opaque = 5, compound = 6,
        reference = 7, enumerated = 8, variable_length = 9, array = 10
    };
    Class type_class = fixed_point;
    uint32_t size = 0;  // bytes of one element
    bool big_endian = false;
    bool is_signed = false;     // fixed point
    uint8_t string_padding = 0;  // strings: 0 NUL-terminated, 1 NUL-padded, 2 space-padded
    bool vlen_string = false;    // a variable-length string (class 9, type 1)
    uint16_t precision = 0;      // bits (numbers)
    uint16_t bit_offset = 0;
    uint8_t mantissa_size = 0;   // floating point
    uint8_t exponent_size = 0;

    // "float32", "int64", "uint8", "string", "opaque", ... as kiln's messages name types.
    std::string name() const;
};
Datatype decode_datatype(Cursor& body);

struct Dataspace {
    enum Kind { scalar, simple, null };
    Kind kind = scalar;
    std::vector<uint64_t> dims;
    // The element count (1 for a scalar, 0 for null); IOError through `where` when it overflows.
    uint64_t count(const Cursor& where) const;
};
Dataspace decode_dataspace(Cursor& body);

// A name in a group and what it refers to.
struct Link {
    enum Kind { hard, soft, external };
    std::string name;
    Kind kind = hard;
    uint64_t address = undefined_address;  // the object header, for hard links
};
Link decode_link(Cursor& body);

struct Attribute {
    std::string name;
    Datatype type;
    Dataspace space;
    uint64_t data_offset = 0;  // the values, inside the file
    uint64_t data_size = 0;
};
Attribute decode_attribute(Cursor& body);

// Where a dense (fractal heap + version 2 B-tree) link or attribute store is; both undefined for compact storage.
struct DenseStorage {
    uint64_t heap = undefined_address;
    uint64_t name_index = undefined_address;
};
DenseStorage decode_link_info(Cursor& body);
DenseStorage decode_attribute_info(Cursor& body);

struct SymbolTable {
    uint64_t btree = undefined_address;
    uint64_t local_heap = undefined_address;
};
SymbolTable decode_symbol_table(Cursor& body);

struct Filter {
    uint16_t id = 0;
    uint16_t flags = 0;
    std::vector<uint32_t> client_data;
};
std::vector<Filter> decode_filter_pipeline(Cursor& body);

struct Layout {
    enum Kind { compact, contiguous, chunked };
    Kind kind = contiguous;
    uint64_t address = undefined_address;  // contiguous data, or the chunk index
    uint64_t size = 0;                     // contiguous and compact: bytes stored
    uint64_t compact_offset = 0;           // compact: where the data lies in the file
    std::vector<uint64_t> chunk_dims;      // chunked: one per dataset dimension
    // The 1.10 format's fixed array, extensible array, implicit and v2 B-tree indexes are refused when read.
    enum ChunkIndex { btree_v1, single_chunk, unsupported } chunk_index = btree_v1;
    uint8_t chunk_index_type = 0;
    uint64_t single_chunk_size = 0;        // single_chunk with filters: the stored size
    uint32_t single_chunk_filter_mask = 0;
    bool single_chunk_filtered = false;
};
Layout decode_layout(Cursor& body);

// --- heaps (heaps.cpp, fractal_heap.cpp) ---

// The data segment of the local heap at `address` (a symbol-table group's names).
std::string_view local_heap_data(const FileBytes& file, uint64_t address);
// The NUL-terminated name at `offset` in a local heap's data.
std::string local_heap_name(const FileBytes& file, std::string_view heap, uint64_t offset);

// The objects of global heap collections, read once per collection.
class GlobalHeap {
public:
    explicit GlobalHeap(const FileBytes& file) : file_(&file) {}
    // Object `index` of the collection at `collection`.
    std::string_view object(uint64_t collection, uint32_t index);

private:
    const FileBytes* file_;
    std::map<uint64_t, std::map<uint32_t, std::string_view>> collections_;
};

// The fractal heap at `address`: objects by heap ID (managed, tiny and unfiltered huge objects).
class FractalHeap {
public:
    FractalHeap(const FileBytes& file, uint64_t address);
    std::string_view object(std::string_view heap_id) const;

private:
    std::string_view managed(uint64_t offset, uint64_t length) const;
    std::string_view huge(std::string_view id) const;
    std::string_view in_indirect_block(uint64_t block, uint64_t block_offset, unsigned rows, uint64_t offset,
                                       uint64_t length, int depth) const;
    std::string_view in_direct_block(uint64_t block, uint64_t block_offset, uint64_t block_size,
                                     uint64_t offset, uint64_t length) const;
    uint64_t row_block_size(unsigned row) const;

    const FileBytes* file_;
    uint16_t id_length_ = 0;
    uint8_t flags_ = 0;
    uint16_t table_width_ = 0;
    uint64_t start_block_size_ = 0;
    uint64_t max_direct_block_size_ = 0;
    uint16_t max_heap_bits_ = 0;
    uint64_t root_ = undefined_address;
    uint16_t root_rows_ = 0;
    uint64_t huge_objects_ = undefined_address;  // their B-tree
    unsigned heap_offset_size_ = 0;
    unsigned heap_length_size_ = 0;
    unsigned max_direct_rows_ = 0;
};

// --- B-trees (btree.cpp) ---

// Every (name, object header address) of a symbol-table group's version 1 B-tree.
std::vector<Link> symbol_table_links(const FileBytes& file, const SymbolTable& table);

// One chunk of a chunked dataset: its element offsets (one per dimension) and its stored bytes.
struct Chunk {
    std::vector<uint64_t> offsets;
    uint64_t address = 0;
    uint64_t size = 0;
    uint32_t filter_mask = 0;
};
// Calls `visit` for every chunk of the version 1 chunk B-tree at `address` of a dataset of rank `rank`.
void for_each_chunk(const FileBytes& file, uint64_t address, size_t rank, const std::function<void(const Chunk&)>& visit);

// Calls `visit` with every record of the version 2 B-tree at `address`.
void for_each_btree2_record(const FileBytes& file, uint64_t address,
                            const std::function<void(std::string_view record)>& visit);

}  // namespace kiln::serialization::detail::h5read
