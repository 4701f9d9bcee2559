// B-trees: version 1 (symbol-table groups and dataset chunks) and version 2 (a dense group's or dense
// attribute store's name index). Every node is visited at most once, so a damaged tree cannot loop.
#include <set>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {
namespace {

constexpr unsigned max_btree_depth = 64;

// Walks a version 1 B-tree of `node_type`, calling `leaf(cursor_at_key, child)` for each child of a leaf node
// (the cursor stands at that child's left key); keys are `key_size` bytes.
void walk_btree1(const FileBytes& file, uint64_t address, uint8_t node_type, uint64_t key_size,
                 const std::function<void(Cursor key, uint64_t child)>& leaf) {
    std::set<uint64_t> seen;
    std::function<void(uint64_t, int)> visit = [&](uint64_t node, int expected_level) {
        if (!seen.insert(node).second) file.fail(cat("the B-tree node at ", node, " is reached twice"));
        Cursor at(file, node, "B-tree node");
        at.expect_signature("TREE");
        if (at.u8() != node_type) at.fail(cat("is not a B-tree of type ", int{node_type}));
        const unsigned level = at.u8();
        if (level > max_btree_depth || (expected_level >= 0 && static_cast<int>(level) != expected_level))
            at.fail(cat("a node of level ", level, " where ", expected_level, " belongs"));
        const uint16_t entries = at.u16();
        at.skip(2 * uint64_t{file.offset_size});  // siblings
        for (uint16_t i = 0; i < entries; ++i) {
            Cursor key = at.take(key_size);
            const uint64_t child = at.address();
            if (child == undefined_address) at.fail("a child address is undefined");
            if (level == 0) leaf(key, child);
            else visit(child, static_cast<int>(level) - 1);
        }
    };
    visit(address, -1);
}

}  // namespace

std::vector<Link> symbol_table_links(const FileBytes& file, const SymbolTable& table) {
    const std::string_view names = local_heap_data(file, table.local_heap);
    std::vector<Link> links;
    std::set<uint64_t> nodes;
    walk_btree1(file, table.btree, 0, file.length_size, [&](Cursor, uint64_t symbol_node) {
        if (!nodes.insert(symbol_node).second) file.fail(cat("the symbol table node at ", symbol_node, " repeats"));
        Cursor at(file, symbol_node, "symbol table node");
        at.expect_signature("SNOD");
        if (at.u8() != 1) at.fail("symbol table node version is not 1");
        at.skip(1);
        const uint16_t count = at.u16();
        for (uint16_t i = 0; i < count; ++i) {
            const uint64_t name_offset = at.length();
            Link link;
            link.address = at.address();
            const uint32_t cache_type = at.u32();
            at.skip(4 + 16);  // reserved, scratch pad
            link.name = local_heap_name(file, names, name_offset);
            // Cache type 2 marks a soft link, whose target is a name rather than an object header.
            if (cache_type == 2) link.kind = Link::soft;
            links.push_back(std::move(link));
        }
    });
    return links;
}

void for_each_chunk(const FileBytes& file, uint64_t address, size_t rank,
                    const std::function<void(const Chunk&)>& visit) {
    const uint64_t key_size = 8 + 8 * (uint64_t{rank} + 1);
    walk_btree1(file, address, 1, key_size, [&](Cursor key, uint64_t child) {
        Chunk chunk;
        chunk.size = key.u32();
        chunk.filter_mask = key.u32();
        for (size_t d = 0; d < rank; ++d) chunk.offsets.push_back(key.u64());
        chunk.address = child;
        visit(chunk);
    });
}

void for_each_btree2_record(const FileBytes& file, uint64_t address,
                            const std::function<void(std::string_view record)>& visit) {
    Cursor at(file, address, "version 2 B-tree header");
    at.expect_signature("BTHD");
    if (at.u8() != 0) at.fail("version 2 B-tree header version is not 0");
    at.skip(1);  // type
    const uint32_t node_size = at.u32();
    const uint16_t record_size = at.u16();
    const uint16_t depth = at.u16();
    at.skip(2);  // split and merge percentages
    const uint64_t root = at.address();
    const uint16_t root_records = at.u16();
    at.length();  // total records
    at.verify_checksum(address);
    constexpr uint64_t node_prefix = 10;  // signature, version, type, checksum
    if (record_size == 0 || node_size <= node_prefix || depth > max_btree_depth)
        at.fail(cat("node size ", node_size, ", record size ", record_size, ", depth ", depth));
    if (root == undefined_address) return;  // empty

    // The width of the child record counts in internal nodes depends on how many records each level can hold.
    struct LevelSizes {
        uint64_t max_records = 0;
        uint64_t cumulative_max = 0;
        unsigned cumulative_size = 0;
    };
    std::vector<LevelSizes> levels(depth + 1u);
    levels[0].max_records = (node_size - node_prefix) / record_size;
    levels[0].cumulative_max = levels[0].max_records;
    const unsigned records_size = encoded_size(levels[0].max_records);
    for (unsigned level = 1; level <= depth; ++level) {
        const uint64_t pointer = file.offset_size + records_size + (level > 1 ? levels[level - 1].cumulative_size : 0);
        if (node_size < node_prefix + pointer) at.fail("nodes too small for their child pointers");
        LevelSizes& sizes = levels[level];
        sizes.max_records = (node_size - node_prefix - pointer) / (record_size + pointer);
        const uint64_t below = levels[level - 1].cumulative_max;
        if (below > (~uint64_t{0} - sizes.max_records) / (sizes.max_records + 1)) at.fail("too deep for its nodes");
        sizes.cumulative_max = (sizes.max_records + 1) * below + sizes.max_records;
        sizes.cumulative_size = encoded_size(sizes.cumulative_max);
    }

    std::set<uint64_t> seen;
    std::function<void(uint64_t, unsigned, uint64_t)> walk = [&](uint64_t node, unsigned level, uint64_t records) {
        if (!seen.insert(node).second) file.fail(cat("the B-tree node at ", node, " is reached twice"));
        if (records > levels[level].max_records)
            file.fail(cat("a B-tree node claims ", records, " records, at most ", levels[level].max_records, " fit"));
        Cursor at_node(file, node, node + node_size, level == 0 ? "version 2 B-tree leaf" : "version 2 B-tree node");
        at_node.expect_signature(level == 0 ? "BTLF" : "BTIN");
        at_node.skip(2);  // version, type
        std::vector<std::string_view> node_records;
        for (uint64_t i = 0; i < records; ++i) node_records.push_back(at_node.bytes(record_size));
        if (level == 0) {
            at_node.verify_checksum(node);
            for (std::string_view record : node_records) visit(record);
            return;
        }
        std::vector<std::pair<uint64_t, uint64_t>> children;  // address, records
        for (uint64_t i = 0; i <= records; ++i) {
            const uint64_t child = at_node.address();
            const uint64_t child_records = at_node.uint(records_size);
            if (level > 1) at_node.skip(levels[level - 1].cumulative_size);
            if (child == undefined_address) at_node.fail("a child address is undefined");
            children.emplace_back(child, child_records);
        }
        at_node.verify_checksum(node);
        for (uint64_t i = 0; i <= records; ++i) {
            walk(children[i].first, level - 1, children[i].second);
            if (i < records) visit(node_records[i]);
        }
    };
    walk(root, depth, root_records);
}

}  // namespace kiln::serialization::detail::h5read
