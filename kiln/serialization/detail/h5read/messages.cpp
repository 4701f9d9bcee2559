// Decoding the header messages kiln needs: datatype, dataspace, link, attribute, link and attribute info, symbol
// table, filter pipeline and data layout.
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {
namespace {

// HDF5's own limit on the rank of a dataspace.
constexpr unsigned max_rank = 32;
// Nesting of variable-length types inside each other (a string is one level).
constexpr int max_type_depth = 8;

uint64_t padded8(uint64_t size) { return (size + 7) / 8 * 8; }

Datatype decode_datatype_at(Cursor& body, int depth) {
    if (depth > max_type_depth) body.fail("datatypes nest too deeply");
    const uint8_t class_and_version = body.u8();
    const uint32_t bits = body.u8() | (uint32_t{body.u8()} << 8) | (uint32_t{body.u8()} << 16);
    Datatype type;
    const uint8_t type_class = class_and_version & 0x0f;
    if (type_class > Datatype::array) body.fail(cat("unknown datatype class ", int{type_class}));
    type.type_class = static_cast<Datatype::Class>(type_class);
    type.size = body.u32();
    switch (type.type_class) {
        case Datatype::fixed_point:
            type.big_endian = bits & 1;
            type.is_signed = bits & 8;
            type.bit_offset = body.u16();
            type.precision = body.u16();
            break;
        case Datatype::floating_point:
            type.big_endian = bits & 1;
            if (bits & 0x40) body.fail("VAX-ordered floating point is not supported");
            type.bit_offset = body.u16();
            type.precision = body.u16();
            body.skip(1);  // exponent location
            type.exponent_size = body.u8();
            body.skip(1);  // mantissa location
            type.mantissa_size = body.u8();
            body.skip(4);  // exponent bias
            break;
        case Datatype::string:
            type.string_padding = bits & 0x0f;
            break;
        case Datatype::variable_length:
            type.vlen_string = (bits & 0x0f) == 1;
            type.string_padding = (bits >> 4) & 0x0f;
            (void)decode_datatype_at(body, depth + 1);  // the base type
            break;
        default:
            break;  // kiln reads these only to name them
    }
    return type;
}

}  // namespace

std::string Datatype::name() const {
    switch (type_class) {
        case floating_point: return cat("float", uint64_t{size} * 8);
        case fixed_point: return cat(is_signed ? "int" : "uint", uint64_t{size} * 8);
        case string: return "string";
        case variable_length: return vlen_string ? "string" : "vlen";
        case opaque: return "opaque";
        case compound: return "compound";
        case enumerated: return "enum";
        case array: return "array";
        case reference: return "reference";
        case bitfield: return "bitfield";
        case time: return "time";
    }
    return "unknown";
}

Datatype decode_datatype(Cursor& body) { return decode_datatype_at(body, 0); }

uint64_t Dataspace::count(const Cursor& where) const {
    if (kind == null) return 0;
    uint64_t total = 1;
    for (uint64_t d : dims) {
        if (d != 0 && total > ~uint64_t{0} / d) where.fail("the dataspace's element count overflows");
        total *= d;
    }
    return total;
}

Dataspace decode_dataspace(Cursor& body) {
    const uint8_t version = body.u8();
    const unsigned rank = body.u8();
    const uint8_t flags = body.u8();
    Dataspace space;
    if (version == 1) {
        body.skip(5);
        space.kind = rank == 0 ? Dataspace::scalar : Dataspace::simple;
    } else if (version == 2) {
        const uint8_t kind = body.u8();
        if (kind > 2) body.fail(cat("unknown dataspace type ", int{kind}));
        space.kind = static_cast<Dataspace::Kind>(kind);
    } else {
        body.fail(cat("dataspace version ", int{version}, " is not 1 or 2"));
    }
    if (rank > max_rank) body.fail(cat("a dataspace of rank ", rank, " (at most ", max_rank, ")"));
    if (space.kind != Dataspace::simple && rank != 0) body.fail("a scalar or empty dataspace has dimensions");
    for (unsigned i = 0; i < rank; ++i) space.dims.push_back(body.length());
    (void)flags;  // maximum dimensions (flag 1) follow; kiln does not need them
    return space;
}

Link decode_link(Cursor& body) {
    const uint8_t version = body.u8();
    if (version != 1) body.fail(cat("link message version ", int{version}, " is not 1"));
    const uint8_t flags = body.u8();
    Link link;
    uint8_t type = 0;
    if (flags & 0x08) type = body.u8();
    if (flags & 0x04) body.skip(8);  // creation order
    if (flags & 0x10) body.skip(1);  // name character set
    const uint64_t name_size = body.uint(1u << (flags & 3));
    if (name_size == 0) body.fail("a link has an empty name");
    link.name = std::string(body.bytes(name_size));
    if (type == 0) {
        link.kind = Link::hard;
        link.address = body.address();
    } else if (type == 1) {
        link.kind = Link::soft;
    } else if (type == 64) {
        link.kind = Link::external;
    } else {
        body.fail(cat("unknown link type ", int{type}, " for '", link.name, "'"));
    }
    return link;
}

Attribute decode_attribute(Cursor& body) {
    const uint8_t version = body.u8();
    if (version < 1 || version > 3) body.fail(cat("attribute message version ", int{version}, " is not 1 to 3"));
    const uint8_t flags = body.u8();
    if (flags & 0x03) body.fail("an attribute with a shared datatype or dataspace, which kiln does not read");
    const uint16_t name_size = body.u16();
    const uint16_t type_size = body.u16();
    const uint16_t space_size = body.u16();
    if (version == 3) body.skip(1);  // name character set
    const auto field = [&](uint64_t size) { return version == 1 ? padded8(size) : uint64_t{size}; };
    Attribute attribute;
    std::string_view name = body.bytes(field(name_size)).substr(0, name_size);
    if (const size_t nul = name.find('\0'); nul != std::string_view::npos) name = name.substr(0, nul);
    attribute.name = std::string(name);
    Cursor type_bytes = body.take(field(type_size));
    attribute.type = decode_datatype(type_bytes);
    Cursor space_bytes = body.take(field(space_size));
    attribute.space = decode_dataspace(space_bytes);
    attribute.data_offset = body.position();
    attribute.data_size = body.remaining();
    return attribute;
}

namespace {

// Link info and attribute info messages: the same fields, but a creation index of 8 or 2 bytes.
DenseStorage decode_storage_info(Cursor& body, unsigned creation_index_size, std::string_view what) {
    const uint8_t version = body.u8();
    if (version != 0) body.fail(cat(what, " version ", int{version}, " is not 0"));
    const uint8_t flags = body.u8();
    if (flags & 1) body.skip(creation_index_size);  // maximum creation index
    DenseStorage storage;
    storage.heap = body.address();
    storage.name_index = body.address();
    return storage;
}

}  // namespace

DenseStorage decode_link_info(Cursor& body) { return decode_storage_info(body, 8, "link info"); }

DenseStorage decode_attribute_info(Cursor& body) { return decode_storage_info(body, 2, "attribute info"); }

SymbolTable decode_symbol_table(Cursor& body) {
    SymbolTable table;
    table.btree = body.address();
    table.local_heap = body.address();
    return table;
}

std::vector<Filter> decode_filter_pipeline(Cursor& body) {
    const uint8_t version = body.u8();
    if (version != 1 && version != 2) body.fail(cat("filter pipeline version ", int{version}, " is not 1 or 2"));
    const unsigned count = body.u8();
    if (count > 32) body.fail(cat(count, " filters (at most 32)"));
    if (version == 1) body.skip(6);
    std::vector<Filter> filters;
    for (unsigned i = 0; i < count; ++i) {
        Filter filter;
        filter.id = body.u16();
        const uint16_t name_size = version == 1 || filter.id >= 256 ? body.u16() : 0;
        filter.flags = body.u16();
        const uint16_t values = body.u16();
        body.skip(version == 1 ? padded8(name_size) : name_size);
        for (uint16_t v = 0; v < values; ++v) filter.client_data.push_back(body.u32());
        if (version == 1 && values % 2 == 1) body.skip(4);
        filters.push_back(std::move(filter));
    }
    return filters;
}

Layout decode_layout(Cursor& body) {
    const uint8_t version = body.u8();
    if (version != 3 && version != 4)
        body.fail(cat("data layout version ", int{version}, " is not one kiln reads (3 or 4)"));
    const uint8_t layout_class = body.u8();
    Layout layout;
    if (layout_class == 0) {
        layout.kind = Layout::compact;
        layout.size = body.u16();
        layout.compact_offset = body.position();
        body.skip(layout.size);
    } else if (layout_class == 1) {
        layout.kind = Layout::contiguous;
        layout.address = body.address();
        layout.size = body.length();
    } else if (layout_class == 2) {
        layout.kind = Layout::chunked;
        unsigned dimensionality = 0;
        uint8_t flags = 0;
        unsigned dim_size = 4;
        if (version == 3) {
            dimensionality = body.u8();
            layout.address = body.address();
        } else {
            flags = body.u8();
            dimensionality = body.u8();
            dim_size = body.u8();
            if (dim_size < 1 || dim_size > 8) body.fail(cat("chunk dimension fields of ", dim_size, " bytes"));
        }
        // One more than the dataset's rank: the last "dimension" is the element size.
        if (dimensionality < 2 || dimensionality > max_rank + 1)
            body.fail(cat("chunks of dimensionality ", dimensionality));
        for (unsigned i = 0; i < dimensionality; ++i) {
            const uint64_t d = body.uint(dim_size);
            if (d == 0) body.fail("a chunk dimension is 0");
            if (i + 1 < dimensionality) layout.chunk_dims.push_back(d);
        }
        if (version == 4) {
            layout.chunk_index_type = body.u8();
            if (layout.chunk_index_type != 1) {
                layout.chunk_index = Layout::unsupported;
                return layout;
            }
            layout.chunk_index = Layout::single_chunk;
            if (flags & 0x02) {
                layout.single_chunk_filtered = true;
                layout.single_chunk_size = body.length();
                layout.single_chunk_filter_mask = body.u32();
            }
            layout.address = body.address();
        }
    } else {
        body.fail(cat("layout class ", int{layout_class}, " (virtual or unknown) is not supported"));
    }
    return layout;
}

}  // namespace kiln::serialization::detail::h5read
