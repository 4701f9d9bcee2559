#include "kiln/serialization/detail/h5read/storage.hpp"

#include <zlib.h>

#include <algorithm>
#include <set>

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"
#include "kiln/serialization/detail/h5read/values.hpp"

namespace kiln::serialization::detail::h5read {
namespace {

namespace filter_id {
constexpr uint16_t deflate = 1, shuffle = 2, fletcher32 = 3;
}

// zlib-inflates `input`, which must give exactly `expected` bytes.
std::string inflate_exactly(std::string_view input, uint64_t expected, const Cursor& where) {
    std::string output(expected, '\0');
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) where.fail("zlib cannot start");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    stream.next_out = reinterpret_cast<Bytef*>(output.data());
    stream.avail_out = static_cast<uInt>(output.size());
    const int status = inflate(&stream, Z_FINISH);
    const uint64_t produced = stream.total_out;
    inflateEnd(&stream);
    if (status != Z_STREAM_END || produced != expected)
        where.fail(cat("a deflated chunk does not inflate to its ", expected, " bytes (zlib status ", status, ")"));
    return output;
}

std::string unshuffle(std::string_view input, uint64_t element_size) {
    std::string output(input.size(), '\0');
    const uint64_t count = element_size == 0 ? 0 : input.size() / element_size;
    for (uint64_t byte = 0; byte < element_size; ++byte)
        for (uint64_t i = 0; i < count; ++i) output[i * element_size + byte] = input[byte * count + i];
    // Bytes past the last whole element are left as they are, as the shuffle filter writes them.
    std::copy(input.begin() + static_cast<std::ptrdiff_t>(count * element_size), input.end(),
              output.begin() + static_cast<std::ptrdiff_t>(count * element_size));
    return output;
}

// Undoes the pipeline (in reverse order) on one chunk's stored bytes; filters whose bit is set in `mask` were
// not applied to this chunk.
std::string unfilter(std::string_view stored, const std::vector<Filter>& filters, uint32_t mask, uint64_t expected,
                     uint64_t element_size, const Cursor& where) {
    std::string bytes(stored);
    for (size_t i = filters.size(); i-- > 0;) {
        if (i < 32 && (mask >> i) & 1) continue;
        const Filter& filter = filters[i];
        if (filter.id == filter_id::deflate) {
            bytes = inflate_exactly(bytes, expected, where);
        } else if (filter.id == filter_id::shuffle) {
            bytes = unshuffle(bytes, element_size);
        } else if (filter.id == filter_id::fletcher32) {
            if (bytes.size() < 4) where.fail("a chunk is shorter than its Fletcher-32 checksum");
            bytes.resize(bytes.size() - 4);
        } else {
            where.fail(cat("filter ", filter.id, " is not supported (kiln reads deflate, shuffle and fletcher32)"));
        }
    }
    if (bytes.size() != expected)
        where.fail(cat("a chunk holds ", bytes.size(), " bytes after its filters, not ", expected));
    return bytes;
}

// Copies a decoded chunk whose first element is at `offsets` into the dataset's values, clipping at the edges.
void place_chunk(const DatasetLayout& dataset, const std::vector<uint64_t>& offsets, std::string_view bytes,
                 float* out) {
    const std::vector<uint64_t>& dims = dataset.space.dims;
    const std::vector<uint64_t>& chunk = dataset.layout.chunk_dims;
    const size_t rank = dims.size();
    const uint64_t element = dataset.type.size;
    const uint64_t run = std::min(chunk[rank - 1], dims[rank - 1] - offsets[rank - 1]);
    std::vector<uint64_t> index(rank, 0);  // position inside the chunk; the last coordinate stays 0
    while (true) {
        bool inside = true;
        uint64_t source = 0;
        uint64_t target = 0;
        for (size_t d = 0; d < rank; ++d) {
            if (offsets[d] + index[d] >= dims[d]) inside = false;
            source = source * chunk[d] + index[d];
            target = target * dims[d] + offsets[d] + index[d];
        }
        if (inside) convert_numbers(dataset.type, bytes.substr(source * element, run * element), out + target);
        size_t d = rank - 1;
        while (d-- > 0) {
            if (++index[d] < chunk[d]) break;
            index[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) return;
    }
}

void read_chunked(const FileBytes& file, const DatasetLayout& dataset, float* out, const Cursor& where) {
    const std::vector<uint64_t>& dims = dataset.space.dims;
    const std::vector<uint64_t>& chunk = dataset.layout.chunk_dims;
    if (chunk.size() != dims.size())
        where.fail(cat("chunks of rank ", chunk.size(), " for a dataset of rank ", dims.size()));
    if (dataset.layout.chunk_index == Layout::unsupported)
        where.fail(cat("chunk index type ", int{dataset.layout.chunk_index_type},
                       " of the 1.10 format (kiln reads version 1 B-trees and single chunks)"));
    if (dataset.layout.address == undefined_address) return;  // nothing written: all fill values
    uint64_t chunk_elements = 1;
    for (uint64_t c : chunk) {
        if (c > static_cast<uint64_t>(max_variable_elements()) / chunk_elements)
            where.fail(cat("a chunk of more than ", max_variable_elements(), " elements"));
        chunk_elements *= c;
    }
    kiln::detail::LoadingBudget::check(static_cast<int64_t>(chunk_elements));
    const uint64_t expected = chunk_elements * dataset.type.size;
    std::set<std::vector<uint64_t>> placed;
    const auto load_chunk = [&](const std::vector<uint64_t>& offsets, uint64_t address, uint64_t size,
                                uint32_t mask) {
        for (size_t d = 0; d < dims.size(); ++d)
            if (offsets[d] % chunk[d] != 0 || offsets[d] >= dims[d])
                where.fail(cat("a chunk at element offset ", offsets[d], " of dimension ", d, " (size ", dims[d],
                               ", chunks of ", chunk[d], ")"));
        if (!placed.insert(offsets).second) where.fail("two chunks claim the same place");
        const std::string_view stored = file.span(address, size, "dataset chunk");
        if (dataset.filters.empty()) {
            if (size != expected) where.fail(cat("an unfiltered chunk of ", size, " bytes, not ", expected));
            place_chunk(dataset, offsets, stored, out);
        } else {
            place_chunk(dataset, offsets, unfilter(stored, dataset.filters, mask, expected, dataset.type.size, where),
                        out);
        }
    };
    if (dataset.layout.chunk_index == Layout::single_chunk) {
        const Layout& layout = dataset.layout;
        load_chunk(std::vector<uint64_t>(dims.size(), 0), layout.address,
                   layout.single_chunk_filtered ? layout.single_chunk_size : expected, layout.single_chunk_filter_mask);
        return;
    }
    for_each_chunk(file, dataset.layout.address, dims.size(),
                   [&](const Chunk& c) { load_chunk(c.offsets, c.address, c.size, c.filter_mask); });
}

}  // namespace

void check_stored_size(const FileBytes& file, const DatasetLayout& dataset, const Cursor& where) {
    const Layout& layout = dataset.layout;
    if (layout.kind == Layout::chunked) return;
    const uint64_t count = dataset.space.count(where);
    const uint64_t element = dataset.type.size;
    if (element == 0 || count > layout.size / element)
        where.fail(cat(count, " elements of ", element, " bytes do not fit in the ", layout.size, " bytes stored"));
    if (layout.kind == Layout::contiguous && layout.address == undefined_address) return;  // never written
    const uint64_t start = layout.kind == Layout::compact ? layout.compact_offset : layout.address;
    (void)file.span(start, count * element, "dataset values");
}

void read_numbers(const FileBytes& file, const DatasetLayout& dataset, float* out, const Cursor& where) {
    const uint64_t count = dataset.space.count(where);
    if (count == 0) return;
    if (!is_number_type(dataset.type)) where.fail(cat("holds ", dataset.type.name(), " data, not numbers"));
    const Layout& layout = dataset.layout;
    if (layout.kind == Layout::chunked) {
        if (dataset.space.kind != Dataspace::simple) where.fail("a chunked dataset without dimensions");
        std::fill(out, out + count, 0.0f);
        read_chunked(file, dataset, out, where);
        return;
    }
    if (!dataset.filters.empty()) where.fail("filters on a dataset that is not chunked");
    check_stored_size(file, dataset, where);
    if (layout.kind == Layout::contiguous && layout.address == undefined_address) {
        std::fill(out, out + count, 0.0f);
        return;
    }
    const uint64_t start = layout.kind == Layout::compact ? layout.compact_offset : layout.address;
    convert_numbers(dataset.type, file.span(start, count * dataset.type.size, "dataset values"), out);
}

}  // namespace kiln::serialization::detail::h5read
