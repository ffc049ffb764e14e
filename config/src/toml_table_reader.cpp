#include "toml_table_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "toml_source_map.hpp"

namespace mcsec::config {
namespace {

std::string_view describe_type(toml::node_type type) noexcept {
    switch (type) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

bool has_control_character(std::string_view text) noexcept {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7F;
    });
}

std::string out_of_range(std::int64_t min, std::int64_t max, std::int64_t found) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (found " +
           std::to_string(found) + ")";
}

// Classic two-row Levenshtein distance; the strings are short key names.
std::size_t edit_distance(std::string_view from, std::string_view to) {
    std::vector<std::size_t> previous(to.size() + 1);
    std::vector<std::size_t> current(to.size() + 1);
    std::iota(previous.begin(), previous.end(), std::size_t{0});
    for (std::size_t i = 1; i <= from.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= to.size(); ++j) {
            const std::size_t substitution = previous[j - 1] + (from[i - 1] == to[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[to.size()];
}

// The known key an unknown one was most likely meant to be ("mut" -> "mtu"), if any is close.
std::optional<std::string> closest_key(std::string_view unknown,
                                       const std::vector<std::string>& known) {
    constexpr std::size_t kMaxTypos = 2;
    std::optional<std::string> best;
    std::size_t best_distance = kMaxTypos + 1;
    for (const auto& candidate : known) {
        const auto distance = edit_distance(unknown, candidate);
        if (distance < best_distance && distance < candidate.size()) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

}  // namespace

TableReader::TableReader(const toml::table& table, std::string path, Diagnostics& diagnostics)
    : table_(table), path_(std::move(path)), diagnostics_(diagnostics) {}

bool TableReader::contains(std::string_view key) const {
    return table_.contains(key);
}

const toml::node* TableReader::lookup(std::string_view key, Presence presence) {
    if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end())
        known_keys_.emplace_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr && presence == Presence::Required) missing(key);
    return node;
}

void TableReader::wrong_type(std::string_view key, const toml::node& node,
                             std::string_view expected) {
    error(key, "expected " + std::string(expected) + ", found " +
                   std::string(describe_type(node.type())));
}

std::optional<std::string> TableReader::string(std::string_view key, Presence presence) {
    const auto* node = lookup(key, presence);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_string();
    if (value == nullptr) {
        wrong_type(key, *node, "a string");
        return std::nullopt;
    }
    const std::string& text = value->get();
    if (text.empty()) {
        error(key, "must not be empty");
        return std::nullopt;
    }
    // Names and paths end up in logs, shell commands and file systems.
    if (has_control_character(text)) {
        error(key, "must not contain control characters");
        return std::nullopt;
    }
    return text;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, Presence presence,
                                                 std::int64_t min, std::int64_t max) {
    const auto* node = lookup(key, presence);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_integer();
    if (value == nullptr) {
        wrong_type(key, *node, "an integer");
        return std::nullopt;
    }
    const std::int64_t number = value->get();
    if (number < min || number > max) {
        error(key, out_of_range(min, max, number));
        return std::nullopt;
    }
    return number;
}

std::optional<std::optional<std::int64_t>> TableReader::word_or_integer(std::string_view key,
                                                                        Presence presence,
                                                                        std::string_view word,
                                                                        std::int64_t min,
                                                                        std::int64_t max) {
    const auto* node = lookup(key, presence);
    if (node == nullptr) return std::nullopt;
    const std::string expected = "\"" + std::string(word) + "\" or an integer between " +
                                 std::to_string(min) + " and " + std::to_string(max);
    if (const auto* text = node->as_string()) {
        if (text->get() == word) return std::optional<std::int64_t>{};
        error(key, "expected " + expected + " (found " + quote_for_message(text->get()) + ")");
        return std::nullopt;
    }
    const auto* value = node->as_integer();
    if (value == nullptr) {
        wrong_type(key, *node, expected);
        return std::nullopt;
    }
    if (value->get() < min || value->get() > max) {
        error(key, out_of_range(min, max, value->get()));
        return std::nullopt;
    }
    return std::optional<std::int64_t>{value->get()};
}

std::optional<bool> TableReader::boolean(std::string_view key, Presence presence) {
    const auto* node = lookup(key, presence);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_boolean();
    if (value == nullptr) {
        wrong_type(key, *node, "a boolean (true or false)");
        return std::nullopt;
    }
    return value->get();
}

const toml::table* TableReader::table(std::string_view key, Presence presence) {
    const auto* node = lookup(key, presence);
    if (node == nullptr) return nullptr;
    const auto* value = node->as_table();
    if (value == nullptr) wrong_type(key, *node, "a table");
    return value;
}

std::vector<Element<const toml::table*>> TableReader::array_of_tables(std::string_view key,
                                                                      Presence presence) {
    std::vector<Element<const toml::table*>> elements;
    const auto* node = lookup(key, presence);
    if (node == nullptr) return elements;
    const auto* array = node->as_array();
    if (array == nullptr) {
        wrong_type(key, *node, "an array of tables ([[" + std::string(key) + "]])");
        return elements;
    }
    const auto array_path = path_of(key);
    for (std::size_t index = 0; index < array->size(); ++index) {
        const auto* element = array->get(index);
        auto element_at = element_path(array_path, index);
        const auto* element_table = element->as_table();
        if (element_table == nullptr) {
            diagnostics_.error(element_at, "expected a table, found " +
                                               std::string(describe_type(element->type())));
        }
        elements.push_back({element_table, std::move(element_at)});
    }
    return elements;
}

std::vector<Element<std::string>> TableReader::array_of_strings(std::string_view key,
                                                                Presence presence) {
    std::vector<Element<std::string>> elements;
    const auto* node = lookup(key, presence);
    if (node == nullptr) return elements;
    const auto* array = node->as_array();
    if (array == nullptr) {
        wrong_type(key, *node, "an array of strings");
        return elements;
    }
    const auto array_path = path_of(key);
    for (std::size_t index = 0; index < array->size(); ++index) {
        const auto* element = array->get(index);
        auto element_at = element_path(array_path, index);
        const auto* text = element->as_string();
        if (text == nullptr) {
            diagnostics_.error(
                std::move(element_at),
                "expected a string, found " + std::string(describe_type(element->type())));
        } else if (text->get().empty() || has_control_character(text->get())) {
            diagnostics_.error(std::move(element_at),
                               "must be a non-empty string without control characters");
        } else {
            elements.push_back({text->get(), std::move(element_at)});
        }
    }
    return elements;
}

std::vector<Element<std::int64_t>> TableReader::array_of_integers(std::string_view key,
                                                                  Presence presence,
                                                                  EntryCount entries,
                                                                  std::int64_t min,
                                                                  std::int64_t max) {
    std::vector<Element<std::int64_t>> elements;
    const auto* node = lookup(key, presence);
    if (node == nullptr) return elements;
    const auto* array = node->as_array();
    if (array == nullptr) {
        wrong_type(key, *node, "an array of integers");
        return elements;
    }
    if (array->size() < entries.min || array->size() > entries.max) {
        error(key, "must have " + std::to_string(entries.min) + " to " +
                       std::to_string(entries.max) + " entries (found " +
                       std::to_string(array->size()) + ")");
        return elements;
    }
    const auto array_path = path_of(key);
    for (std::size_t index = 0; index < array->size(); ++index) {
        const auto* element = array->get(index);
        auto element_at = element_path(array_path, index);
        const auto* integer = element->as_integer();
        if (integer == nullptr) {
            diagnostics_.error(
                std::move(element_at),
                "expected an integer, found " + std::string(describe_type(element->type())));
        } else if (integer->get() < min || integer->get() > max) {
            diagnostics_.error(std::move(element_at), out_of_range(min, max, integer->get()));
        } else {
            elements.push_back({integer->get(), std::move(element_at)});
        }
    }
    return elements;
}

void TableReader::error(std::string_view key, std::string message) {
    diagnostics_.error(path_of(key), std::move(message));
}

void TableReader::missing(std::string_view key, std::string_view why) {
    std::string message = "missing required key";
    if (!why.empty()) message += " (" + std::string(why) + ")";
    // Missing keys have no position of their own; the source map falls back to this table's.
    diagnostics_.error(path_of(key), std::move(message));
}

void TableReader::reject_unknown_keys() {
    for (const auto& [key, value] : table_) {
        const std::string_view name = key.str();
        if (std::find(known_keys_.begin(), known_keys_.end(), name) != known_keys_.end()) continue;
        std::string message = "unknown key";
        if (const auto suggestion = closest_key(name, known_keys_))
            message += " (did you mean '" + *suggestion + "'?)";
        // The key's own position: for [table] headers the value starts at the bracket instead.
        diagnostics_.error_at(to_position(key.source().begin), path_of(name), std::move(message));
    }
}

}  // namespace mcsec::config
