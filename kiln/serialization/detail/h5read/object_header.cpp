// The superblock and object headers (versions 1 and 2) with their continuation blocks.
#include <set>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {
namespace {

constexpr std::string_view superblock_signature{"\x89HDF\r\n\x1a\n", 8};

// More continuation blocks than any real header has; a larger number means a damaged file.
constexpr size_t max_header_blocks = 1 << 16;

void set_sizes(FileBytes& file, Cursor& at, unsigned offset_size, unsigned length_size) {
    const auto valid = [](unsigned size) { return size == 2 || size == 4 || size == 8; };
    if (!valid(offset_size) || !valid(length_size))
        at.fail(cat("address and length sizes ", offset_size, " and ", length_size, " are not 2, 4 or 8"));
    file.offset_size = offset_size;
    file.length_size = length_size;
}

uint64_t read_superblock_at(FileBytes& file, uint64_t start) {
    Cursor at(file, start, "superblock");
    at.expect_signature(superblock_signature);
    const uint8_t version = at.u8();
    uint64_t base = 0;
    uint64_t root = 0;
    if (version == 0 || version == 1) {
        at.skip(4);  // free-space, root group and shared header versions, reserved
        const unsigned offset_size = at.u8();
        const unsigned length_size = at.u8();
        set_sizes(file, at, offset_size, length_size);
        at.skip(1 + 2 + 2 + 4);  // reserved, group leaf and internal node K, consistency flags
        if (version == 1) at.skip(4);  // indexed storage internal node K, reserved
        file.base_address = 0;
        base = at.address();
        at.skip(3 * uint64_t{file.offset_size});  // free space, end of file and driver information addresses
        at.skip(file.offset_size);                 // root symbol table entry: link name offset
        root = at.address();
    } else if (version == 2 || version == 3) {
        const unsigned offset_size = at.u8();
        const unsigned length_size = at.u8();
        set_sizes(file, at, offset_size, length_size);
        at.skip(1);  // consistency flags
        file.base_address = 0;
        base = at.address();
        at.skip(2 * uint64_t{file.offset_size});  // superblock extension, end of file
        root = at.address();
        at.verify_checksum(start);
    } else {
        at.fail(cat("superblock version ", int{version}, " is not one kiln reads (0 to 3)"));
    }
    if (base == undefined_address || base > file.size()) at.fail(cat("the base address ", base, " is outside the file"));
    if (root == undefined_address) at.fail("there is no root group");
    // Addresses read so far were absolute; later ones are relative to the base.
    file.base_address = base;
    if (root > ~uint64_t{0} - base) at.fail("the root group's address overflows");
    return root + base;
}

struct HeaderReader {
    const FileBytes& file;
    std::vector<Message> messages;
    std::vector<std::pair<uint64_t, uint64_t>> pending;  // continuation blocks: address, length
    std::set<uint64_t> seen;

    void add_continuation(Cursor& block, const Message& message) {
        Cursor body = message_body(file, message, "continuation message");
        const uint64_t address = body.address();
        const uint64_t length = body.length();
        if (address == undefined_address) block.fail("a continuation message points nowhere");
        if (!seen.insert(address).second) block.fail(cat("the continuation block at ", address, " repeats"));
        if (seen.size() > max_header_blocks) block.fail("has too many continuation blocks");
        pending.emplace_back(address, length);
    }

    // Version 1: 8-byte message headers, bodies padded to 8 bytes.
    void read_v1_messages(Cursor block, uint64_t& left) {
        while (left > 0 && block.remaining() >= 8) {
            Message message;
            message.type = block.u16();
            const uint16_t size = block.u16();
            message.flags = block.u8();
            block.skip(3);
            message.offset = block.position();
            message.size = size;
            block.skip(size);
            --left;
            if (message.type == message_type::continuation) add_continuation(block, message);
            else messages.push_back(message);
        }
    }

    // Version 2: 4-byte (6 with creation order) message headers; a remainder shorter than that is a gap.
    void read_v2_messages(Cursor block, bool creation_order) {
        const uint64_t header = creation_order ? 6 : 4;
        while (block.remaining() >= header) {
            Message message;
            message.type = block.u8();
            const uint16_t size = block.u16();
            message.flags = block.u8();
            if (creation_order) block.skip(2);
            message.offset = block.position();
            message.size = size;
            block.skip(size);
            if (message.type == message_type::continuation) add_continuation(block, message);
            else messages.push_back(message);
        }
    }

    void read_v1(Cursor& at) {
        at.skip(1);  // reserved
        uint64_t left = at.u16();
        at.skip(4);  // reference count
        const uint64_t size = at.u32();
        at.skip(4);  // padding to 8 bytes
        read_v1_messages(at.take(size), left);
        for (size_t i = 0; i < pending.size(); ++i) {
            const auto [address, length] = pending[i];
            read_v1_messages(Cursor(file, address, address + length, "object header continuation"), left);
        }
    }

    void read_v2(Cursor& at, uint64_t address) {
        at.expect_signature("OHDR");
        const uint8_t version = at.u8();
        if (version != 2) at.fail(cat("object header version ", int{version}, " is not 2"));
        const uint8_t flags = at.u8();
        if (flags & 0x20) at.skip(16);  // access, modification, change and birth times
        if (flags & 0x10) at.skip(4);   // attribute storage phase change values
        const uint64_t size = at.uint(1u << (flags & 3));
        const bool creation_order = flags & 0x04;
        read_v2_messages(at.take(size), creation_order);
        at.verify_checksum(address);
        for (size_t i = 0; i < pending.size(); ++i) {
            const auto [block_address, length] = pending[i];
            Cursor block(file, block_address, block_address + length, "object header continuation");
            block.expect_signature("OCHK");
            if (block.remaining() < 4) block.fail("is shorter than its checksum");
            read_v2_messages(block.take(block.remaining() - 4), creation_order);
            block.verify_checksum(block_address);
        }
    }
};

}  // namespace

uint64_t read_superblock(FileBytes& file) {
    for (uint64_t start = 0; start < file.size(); start = start == 0 ? 512 : start * 2) {
        const std::string_view head = file.span(start, std::min<uint64_t>(8, file.size() - start), "superblock");
        if (head == superblock_signature) return read_superblock_at(file, start);
    }
    file.fail("not an HDF5 file (no superblock signature)");
}

std::vector<Message> read_object_header(const FileBytes& file, uint64_t address) {
    if (address == undefined_address) file.fail("an object header address is undefined");
    Cursor at(file, address, "object header");
    HeaderReader reader{file, {}, {}, {address}};
    const std::string_view first = file.span(address, 1, "object header");
    if (first[0] == 1) {
        at.skip(1);
        reader.read_v1(at);
    } else {
        reader.read_v2(at, address);
    }
    return std::move(reader.messages);
}

Cursor message_body(const FileBytes& file, const Message& message, std::string_view what) {
    Cursor body(file, message.offset, message.offset + message.size, what);
    if (message.flags & 0x02) body.fail("is a shared message, which kiln does not read");
    return body;
}

}  // namespace kiln::serialization::detail::h5read
