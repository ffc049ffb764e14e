// Human-readable output for operator API results: aligned tables for lists, "label: value"
// lines for single objects. Columns name their JSON member, so a member the daemon leaves out
// shows as "-" and a member this mcsecctl does not know is only visible with --json.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "mcsec/control/api/operator_backend.hpp"

namespace mcsec::ctl {

using Json = control::api::Json;

// Plain rendering: strings as they are (control characters replaced, so a peer-supplied name
// cannot drive the terminal), numbers, yes/no, arrays joined by ",", null and missing as "-".
std::string render_value(const Json& value);
// An SPI as 0x0000abcd.
std::string render_hex32(const Json& value);
// An array by its length ("3"), e.g. a member list in a table.
std::string render_count(const Json& value);
// Milliseconds as seconds with one decimal, "12.5s".
std::string render_ms(const Json& value);

struct Column {
    std::string_view header;
    std::string_view key;
    std::string (*render)(const Json&) = render_value;
};

// `rows` (an array of objects) as a table with one header line; columns are left-aligned and
// separated by two spaces.
std::string format_table(const Json& rows, std::span<const Column> columns);

// `object` as "label: value" lines: `fields` first in their order, then any other members in
// key order under their own names.
std::string format_fields(const Json& object, std::span<const Column> fields);

}  // namespace mcsec::ctl
