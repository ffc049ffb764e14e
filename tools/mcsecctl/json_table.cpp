#include "json_table.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

namespace mcsec::ctl {

namespace {

std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) c = '?';
    }
    return out;
}

// The member `key` of `row`, or null when `row` is not an object or lacks it.
const Json& member(const Json& row, std::string_view key) {
    static const Json missing;
    if (!row.is_object()) return missing;
    const auto it = row.find(key);
    return it == row.end() ? missing : *it;
}

}  // namespace

std::string render_value(const Json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return printable(value.get_ref<const std::string&>());
    if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
    if (value.is_array()) {
        if (value.empty()) return "-";
        std::string joined;
        for (const auto& item : value) {
            if (!joined.empty()) joined += ",";
            joined += render_value(item);
        }
        return joined;
    }
    if (value.is_number()) return value.dump();
    return printable(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string render_hex32(const Json& value) {
    if (!value.is_number_unsigned()) return render_value(value);
    char text[16];
    std::snprintf(text, sizeof(text), "0x%08" PRIx64, value.get<std::uint64_t>());
    return text;
}

std::string render_count(const Json& value) {
    if (!value.is_array()) return render_value(value);
    return std::to_string(value.size());
}

std::string render_ms(const Json& value) {
    if (!value.is_number()) return render_value(value);
    char text[32];
    std::snprintf(text, sizeof(text), "%.1fs", value.get<double>() / 1000.0);
    return text;
}

std::string format_table(const Json& rows, std::span<const Column> columns) {
    std::vector<std::vector<std::string>> cells;
    cells.emplace_back();
    for (const auto& column : columns) cells.back().emplace_back(column.header);
    if (rows.is_array()) {
        for (const auto& row : rows) {
            cells.emplace_back();
            for (const auto& column : columns) {
                cells.back().push_back(column.render(member(row, column.key)));
            }
        }
    }
    std::vector<std::size_t> widths(columns.size(), 0);
    for (const auto& line : cells) {
        for (std::size_t i = 0; i < line.size(); ++i)
            widths[i] = std::max(widths[i], line[i].size());
    }
    std::string out;
    for (const auto& line : cells) {
        for (std::size_t i = 0; i < line.size(); ++i) {
            out += line[i];
            if (i + 1 < line.size()) out.append(widths[i] - line[i].size() + 2, ' ');
        }
        out += '\n';
    }
    return out;
}

std::string format_fields(const Json& object, std::span<const Column> fields) {
    std::vector<std::pair<std::string, std::string>> lines;
    for (const auto& field : fields) {
        lines.emplace_back(std::string(field.header), field.render(member(object, field.key)));
    }
    if (object.is_object()) {
        // nlohmann's default object keeps keys sorted, so extra members come in key order.
        for (const auto& item : object.items()) {
            const bool listed = std::any_of(fields.begin(), fields.end(),
                                            [&](const Column& f) { return f.key == item.key(); });
            if (!listed) lines.emplace_back(printable(item.key()), render_value(item.value()));
        }
    }
    std::size_t width = 0;
    for (const auto& line : lines) width = std::max(width, line.first.size());
    std::string out;
    for (const auto& [label, value] : lines) {
        out += label + ":" + std::string(width - label.size() + 1, ' ') + value + "\n";
    }
    return out;
}

}  // namespace mcsec::ctl
