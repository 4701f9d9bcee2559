// Local heaps (the names of a symbol-table group) and global heap collections (variable-length strings).
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {

std::string_view local_heap_data(const FileBytes& file, uint64_t address) {
    Cursor at(file, address, "local heap");
    at.expect_signature("HEAP");
    const uint8_t version = at.u8();
    if (version != 0) at.fail(cat("local heap version ", int{version}, " is not 0"));
    at.skip(3);
    const uint64_t size = at.length();
    at.skip(file.length_size);  // free list head
    const uint64_t data = at.address();
    return file.span(data, size, "local heap data");
}

std::string local_heap_name(const FileBytes& file, std::string_view heap, uint64_t offset) {
    if (offset >= heap.size()) file.fail(cat("a name offset ", offset, " lies outside its local heap"));
    const std::string_view rest = heap.substr(offset);
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) file.fail(cat("the name at local heap offset ", offset, " has no end"));
    return std::string(rest.substr(0, nul));
}

std::string_view GlobalHeap::object(uint64_t collection, uint32_t index) {
    auto found = collections_.find(collection);
    if (found == collections_.end()) {
        Cursor head(*file_, collection, "global heap collection");
        head.expect_signature("GCOL");
        const uint8_t version = head.u8();
        if (version != 1) head.fail(cat("global heap version ", int{version}, " is not 1"));
        head.skip(3);
        const uint64_t size = head.length();
        if (size < head.position() - collection) head.fail(cat("a collection size of ", size, " bytes"));
        Cursor objects(*file_, head.position(), collection + size, "global heap collection");
        if (collection + size > file_->size() || collection + size < collection)
            head.fail(cat("the collection of ", size, " bytes runs past the end of the file"));
        std::map<uint32_t, std::string_view> entries;
        // Each object: index (0 starts the free space), reference count, reserved, size, data padded to 8.
        while (objects.remaining() >= 8 + uint64_t{file_->length_size}) {
            const uint16_t object_index = objects.u16();
            if (object_index == 0) break;
            objects.skip(6);
            const uint64_t object_size = objects.length();
            const std::string_view data = objects.bytes(object_size);
            objects.skip(std::min<uint64_t>((8 - object_size % 8) % 8, objects.remaining()));
            entries.emplace(object_index, data);
        }
        found = collections_.emplace(collection, std::move(entries)).first;
    }
    const auto object = found->second.find(index);
    if (object == found->second.end())
        file_->fail(cat("the global heap collection at ", collection, " has no object ", index));
    return object->second;
}

}  // namespace kiln::serialization::detail::h5read
