#pragma once

// Typed, error-collecting access to one TOML table. Every getter reports its own problems
// (missing required key, wrong type, out of range) to Diagnostics and returns nullopt, so the
// section readers only say what they expect. Each key asked for becomes known; whatever is left
// at the end is an unknown key, reported at the key's own position.

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostics.hpp"
#include "enum_names.hpp"
#include "message_text.hpp"

namespace mcsec::config {

enum class Presence : std::uint8_t { Required, Optional };

// How many elements an array may have.
struct EntryCount {
    std::size_t min = 0;
    std::size_t max = 0;
};

// A value together with its key path, for messages about array elements.
template <typename T>
struct Element {
    T value;
    std::string path;
};

class TableReader {
  public:
    TableReader(const toml::table& table, std::string path, Diagnostics& diagnostics);

    const std::string& path() const noexcept { return path_; }
    Diagnostics& diagnostics() noexcept { return diagnostics_; }
    std::string path_of(std::string_view key) const { return child_path(path_, key); }
    // Whether the key is present at all, whatever its type. Does not mark it known.
    bool contains(std::string_view key) const;

    // A non-empty string without control characters.
    std::optional<std::string> string(std::string_view key, Presence presence);
    std::optional<std::int64_t> integer(std::string_view key, Presence presence, std::int64_t min,
                                        std::int64_t max);
    std::optional<bool> boolean(std::string_view key, Presence presence);
    // Either the string `word` (e.g. rx_queues = "auto"), returned as an empty optional inside,
    // or an integer in [min, max]. The outer optional is empty when the key is absent or wrong.
    std::optional<std::optional<std::int64_t>> word_or_integer(std::string_view key,
                                                               Presence presence,
                                                               std::string_view word,
                                                               std::int64_t min, std::int64_t max);
    const toml::table* table(std::string_view key, Presence presence);
    // Elements that are not tables are reported and come back as nullptr, so indexes still
    // match the file's.
    std::vector<Element<const toml::table*>> array_of_tables(std::string_view key,
                                                             Presence presence);
    // Elements of the wrong type are reported and left out.
    std::vector<Element<std::string>> array_of_strings(std::string_view key, Presence presence);
    // Elements of the wrong type or outside [min, max] are reported and left out. An array with
    // a number of elements outside `entries` is reported at the key, and its elements are not
    // read.
    std::vector<Element<std::int64_t>> array_of_integers(std::string_view key, Presence presence,
                                                         EntryCount entries, std::int64_t min,
                                                         std::int64_t max);

    // One of the names in `names`, e.g. role = "red".
    template <typename Enum, std::size_t N>
    std::optional<Enum> choice(std::string_view key, Presence presence,
                               const std::array<EnumName<Enum>, N>& names) {
        const auto text = string(key, presence);
        if (!text) return std::nullopt;
        for (const auto& entry : names) {
            if (entry.name == *text) return entry.value;
        }
        error(key, "unknown " + std::string(key) + " " + quote_for_message(*text) + " (expected " +
                       describe_choices(names) + ")");
        return std::nullopt;
    }

    // Reports an error about `key` (at its value, or at this table when the key is missing).
    void error(std::string_view key, std::string message);
    // Reports a required key that is missing, at this table's position.
    void missing(std::string_view key, std::string_view why = {});

    // Reports every key that no getter asked for. Call once, after reading the whole table.
    void reject_unknown_keys();

  private:
    // Marks `key` known; reports it when required and missing.
    const toml::node* lookup(std::string_view key, Presence presence);
    void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);

    const toml::table& table_;
    std::string path_;
    Diagnostics& diagnostics_;
    std::vector<std::string> known_keys_;
};

}  // namespace mcsec::config
