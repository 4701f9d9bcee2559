#include "kiln/serialization/detail/h5read/reader.hpp"

#include <algorithm>
#include <limits>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5_path.hpp"
#include "kiln/serialization/detail/file_io.hpp"
#include "kiln/serialization/detail/h5read/format.hpp"
#include "kiln/serialization/detail/h5read/storage.hpp"
#include "kiln/serialization/detail/h5read/values.hpp"

namespace kiln::serialization::detail::h5read {

struct OpenFile {
    OpenFile(std::string bytes, const std::string& label) : file(std::move(bytes), label) {}
    FileBytes file;
    GlobalHeap heap{file};
};

namespace {

// Groups inside groups deeper than this are a damaged file (Keras nests a few levels).
constexpr size_t max_group_depth = 100;

// Calls `visit` with a cursor over each message of a dense store: `heap_id` finds the message's heap ID in a
// record of the store's name index.
template <class HeapId, class Visit>
void for_each_dense_message(const FileBytes& file, const DenseStorage& storage, std::string_view what,
                            HeapId&& heap_id, Visit&& visit) {
    if (storage.heap == undefined_address) return;
    const FractalHeap heap(file, storage.heap);
    for_each_btree2_record(file, storage.name_index, [&](std::string_view record) {
        const std::string_view message = heap.object(heap_id(record));
        Cursor body(file, file.offset_of(message), file.offset_of(message) + message.size(), what);
        visit(body);
    });
}

std::vector<Attribute> dense_attributes(const FileBytes& file, const DenseStorage& storage) {
    std::vector<Attribute> attributes;
    // Records: heap ID (8 bytes), message flags, creation order, name hash.
    const auto heap_id = [&](std::string_view record) {
        if (record.size() < 9) file.fail("an attribute name index record is too short");
        if (static_cast<uint8_t>(record[8]) & 0x02) file.fail("a shared attribute, which kiln does not read");
        return record.substr(0, 8);
    };
    for_each_dense_message(file, storage, "attribute", heap_id,
                           [&](Cursor& body) { attributes.push_back(decode_attribute(body)); });
    return attributes;
}

std::vector<Link> dense_links(const FileBytes& file, const DenseStorage& storage) {
    std::vector<Link> links;
    // Records: name hash (4 bytes), heap ID.
    const auto heap_id = [&](std::string_view record) {
        if (record.size() < 5) file.fail("a link name index record is too short");
        return record.substr(4);
    };
    for_each_dense_message(file, storage, "link", heap_id, [&](Cursor& body) { links.push_back(decode_link(body)); });
    return links;
}

std::vector<Attribute> attributes_of(const FileBytes& file, uint64_t address) {
    std::vector<Attribute> attributes;
    for (const Message& message : read_object_header(file, address)) {
        if (message.type == message_type::attribute) {
            Cursor body = message_body(file, message, "attribute message");
            attributes.push_back(decode_attribute(body));
        } else if (message.type == message_type::attribute_info) {
            Cursor body = message_body(file, message, "attribute info message");
            for (Attribute& a : dense_attributes(file, decode_attribute_info(body))) attributes.push_back(std::move(a));
        }
    }
    return attributes;
}

std::vector<Link> links_of(const FileBytes& file, uint64_t address) {
    std::vector<Link> links;
    for (const Message& message : read_object_header(file, address)) {
        if (message.type == message_type::link) {
            Cursor body = message_body(file, message, "link message");
            links.push_back(decode_link(body));
        } else if (message.type == message_type::link_info) {
            Cursor body = message_body(file, message, "link info message");
            for (Link& l : dense_links(file, decode_link_info(body))) links.push_back(std::move(l));
        } else if (message.type == message_type::symbol_table) {
            Cursor body = message_body(file, message, "symbol table message");
            for (Link& l : symbol_table_links(file, decode_symbol_table(body))) links.push_back(std::move(l));
        }
    }
    std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) { return a.name < b.name; });
    for (size_t i = 1; i < links.size(); ++i)
        if (links[i].name == links[i - 1].name) file.fail(cat("a group has two links named '", links[i].name, "'"));
    return links;
}

Kind kind_of(const FileBytes& file, uint64_t address) {
    bool dataset = false;
    for (const Message& message : read_object_header(file, address)) {
        switch (message.type) {
            case message_type::symbol_table:
            case message_type::link_info:
            case message_type::link: return Kind::group;
            case message_type::layout: dataset = true; break;
            default: break;
        }
    }
    return dataset ? Kind::dataset : Kind::other;
}

DatasetLayout dataset_layout(const FileBytes& file, uint64_t address, const Cursor& where) {
    DatasetLayout dataset;
    bool has_type = false, has_space = false, has_layout = false;
    for (const Message& message : read_object_header(file, address)) {
        if (message.type == message_type::datatype) {
            Cursor body = message_body(file, message, "datatype message");
            dataset.type = decode_datatype(body);
            has_type = true;
        } else if (message.type == message_type::dataspace) {
            Cursor body = message_body(file, message, "dataspace message");
            dataset.space = decode_dataspace(body);
            has_space = true;
        } else if (message.type == message_type::layout) {
            Cursor body = message_body(file, message, "data layout message");
            dataset.layout = decode_layout(body);
            has_layout = true;
        } else if (message.type == message_type::filter_pipeline) {
            Cursor body = message_body(file, message, "filter pipeline message");
            dataset.filters = decode_filter_pipeline(body);
        }
    }
    if (!has_type || !has_space || !has_layout) where.fail("a dataset without a datatype, dataspace or layout");
    return dataset;
}


}  // namespace

Object::Object(std::shared_ptr<OpenFile> file, uint64_t address, std::string path)
    : file_(std::move(file)), address_(address), path_(std::move(path)) {}

const std::string& Object::file() const { return file_->file.label(); }

void Object::fail(const std::string& what) const { file_->file.fail(cat(path_, ": ", what)); }

template <class Body>
auto Object::at_path(Body&& body) const -> decltype(body()) {
    try {
        return body();
    } catch (const IOError& error) {
        const std::string prefix = cat("HDF5 file '", file(), "': ");
        const std::string message = error.what();
        if (message.rfind(prefix, 0) != 0 || message.compare(prefix.size(), path_.size() + 2, path_ + ": ") == 0)
            throw;
        throw IOError(cat(prefix, path_, ": ", message.substr(prefix.size())));
    }
}

const std::vector<Attribute>& Object::attributes() const {
    if (!attributes_)
        attributes_ = at_path([&] { return std::make_shared<const std::vector<Attribute>>(attributes_of(file_->file, address_)); });
    return *attributes_;
}

bool Object::has_attribute(const std::string& name) const {
    return at_path([&] {
        const std::vector<Attribute>& attributes = this->attributes();
        return std::any_of(attributes.begin(), attributes.end(), [&](const Attribute& a) { return a.name == name; });
    });
}

std::vector<std::string> Object::read_strings(const std::string& name) const {
    return at_path([&] {
        const std::vector<Attribute>& attributes = this->attributes();
        const auto found =
            std::find_if(attributes.begin(), attributes.end(), [&](const Attribute& a) { return a.name == name; });
        if (found == attributes.end()) fail(cat("has no attribute '", name, "'"));
        const Attribute& attribute = *found;
        const Cursor where(file_->file, attribute.data_offset, attribute.data_offset + attribute.data_size,
                           cat("attribute '", name, "'"));
        if (attribute.space.kind == Dataspace::null) return std::vector<std::string>{};
        const uint64_t count = attribute.space.count(where);
        if (attribute.space.dims.size() > 1)
            fail(cat("the attribute '", name, "' is not a scalar or a list (rank ", attribute.space.dims.size(), ")"));
        const Datatype::Class type_class = attribute.type.type_class;
        if ((type_class == Datatype::floating_point || type_class == Datatype::fixed_point) && count == 0) return std::vector<std::string>{};
        const std::string_view data = file_->file.span(attribute.data_offset, attribute.data_size, "attribute data");
        if (type_class != Datatype::string && !(type_class == Datatype::variable_length && attribute.type.vlen_string))
            fail(cat("the attribute '", name, "' does not hold strings"));
        return decode_strings(attribute.type, data, count, file_->heap, where);
    });
}

std::string Object::read_string(const std::string& name) const {
    std::vector<std::string> strings = read_strings(name);
    if (strings.size() != 1)
        fail(cat("the attribute '", name, "' should hold one string, it holds ", strings.size()));
    return std::move(strings.front());
}

std::optional<std::vector<std::string>> Object::read_chunked_strings(const std::string& name) const {
    if (has_attribute(name)) return read_strings(name);
    if (!has_attribute(cat(name, 0))) return std::nullopt;
    std::vector<std::string> strings;
    for (int chunk = 0; has_attribute(cat(name, chunk)); ++chunk)
        for (std::string& text : read_strings(cat(name, chunk))) strings.push_back(std::move(text));
    return strings;
}

Group::Group(std::shared_ptr<OpenFile> file, uint64_t address, std::string path)
    : Object(std::move(file), address, std::move(path)) {
    links_ = at_path([&] { return std::make_shared<const std::vector<Link>>(links_of(file_->file, address_)); });
}

const Link* Group::link(const std::string& name) const {
    const auto found = std::lower_bound(links_->begin(), links_->end(), name,
                                        [](const Link& l, const std::string& n) { return l.name < n; });
    return found != links_->end() && found->name == name ? &*found : nullptr;
}

std::string Group::child_path(const std::string& name) const {
    return path() == "/" ? cat("/", name) : cat(path(), "/", name);
}

Kind Group::kind(const std::string& name) const {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return Kind::missing;
    const Link* found = link(name);
    if (!found) return Kind::missing;
    if (found->kind != Link::hard) return Kind::other;
    return at_path([&] { return kind_of(file_->file, found->address); });
}

std::vector<std::string> Group::children() const {
    std::vector<std::string> names;
    for (const Link& l : *links_) names.push_back(l.name);
    return names;
}

std::optional<Group> Group::find_group(const std::string& relative) const {
    std::optional<Group> current;
    for (const std::string& part : split_h5_path(relative)) {
        const Group& parent = current ? *current : *this;
        if (parent.kind(part) != Kind::group) return std::nullopt;
        current = Group(file_, parent.link(part)->address, parent.child_path(part));
    }
    return current;
}

std::optional<Dataset> Group::find_dataset(const std::string& relative) const {
    const size_t slash = relative.rfind('/');
    std::optional<Group> parent_group;
    if (slash != std::string::npos) {
        parent_group = find_group(relative.substr(0, slash));
        if (!parent_group) return std::nullopt;
    }
    const Group& parent = parent_group ? *parent_group : *this;
    const std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
    if (parent.kind(name) != Kind::dataset) return std::nullopt;
    return Dataset(file_, parent.link(name)->address, parent.child_path(name));
}

Group Group::group(const std::string& relative) const {
    std::optional<Group> found = find_group(relative);
    if (!found) fail(cat("has no group '", relative, "'"));
    return std::move(*found);
}

void Group::collect_datasets(const std::string& prefix, std::vector<uint64_t>& open_groups,
                             std::vector<std::string>& paths) const {
    if (open_groups.size() > max_group_depth) fail(cat("groups nest deeper than ", max_group_depth));
    for (const Link& l : *links_) {
        if (l.kind != Link::hard) continue;
        const Kind child = at_path([&] { return kind_of(file_->file, l.address); });
        const std::string relative = prefix.empty() ? l.name : cat(prefix, "/", l.name);
        if (child == Kind::dataset) {
            paths.push_back(relative);
        } else if (child == Kind::group &&
                   std::find(open_groups.begin(), open_groups.end(), l.address) == open_groups.end()) {
            open_groups.push_back(l.address);
            Group(file_, l.address, child_path(l.name)).collect_datasets(relative, open_groups, paths);
            open_groups.pop_back();
        }
    }
}

std::vector<std::string> Group::dataset_paths() const {
    std::vector<uint64_t> open_groups{address_};
    std::vector<std::string> paths;
    collect_datasets("", open_groups, paths);
    return paths;
}

Dataset::Dataset(std::shared_ptr<OpenFile> file, uint64_t address, std::string path)
    : Object(std::move(file), address, std::move(path)) {}

const DatasetLayout& Dataset::layout() const {
    if (!layout_)
        layout_ = at_path([&] {
            return std::make_shared<const DatasetLayout>(dataset_layout(file_->file, address_, where()));
        });
    return *layout_;
}

Cursor Dataset::where() const { return Cursor(file_->file, address_, "dataset"); }

Shape Dataset::shape() const {
    return at_path([&] {
        const Cursor where = this->where();
        const DatasetLayout& dataset = layout();
        if (dataset.space.kind == Dataspace::null) fail("has no shape (an empty dataspace)");
        (void)dataset.space.count(where);
        Shape shape;
        for (uint64_t d : dataset.space.dims) {
            if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) fail("has an impossible shape");
            shape.push_back(static_cast<int64_t>(d));
        }
        return shape;
    });
}

std::string Dataset::dtype() const {
    // Keras 3 marks a bfloat16 variable, whose bits HDF5 cannot describe, with this attribute.
    if (has_attribute("dtype")) return read_string("dtype");
    return at_path([&] { return layout().type.name(); });
}

Tensor Dataset::read() const {
    const Shape dims = shape();
    return at_path([&] {
        const Cursor where = this->where();
        const DatasetLayout& dataset = layout();
        if (!is_number_type(dataset.type)) fail(cat("holds ", dataset.type.name(), " data, not numbers"));
        check_stored_size(file_->file, dataset, where);
        Tensor values = Tensor::empty(dims);
        read_numbers(file_->file, dataset, values.data(), where);
        return values;
    });
}

File File::open(const std::string& path) { return open_image(read_file_bytes(path), path); }

File File::open_image(std::string bytes, const std::string& label) {
    auto file = std::make_shared<OpenFile>(std::move(bytes), label);
    const uint64_t root = read_superblock(file->file);
    return File(std::move(file), root);
}

Group File::root() const { return Group(file_, root_, "/"); }

}  // namespace kiln::serialization::detail::h5read
