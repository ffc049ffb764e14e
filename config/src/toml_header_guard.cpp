#include "toml_header_guard.hpp"

namespace mcsec::config {

namespace {

bool header_start_ok(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '"' || c == '\'' || c == ']' || c == ' ' || c == '\t';
}

}  // namespace

std::optional<SourcePosition> find_malformed_table_header(std::string_view text) noexcept {
    enum class State { Normal, Basic, Literal, MultiBasic, MultiLiteral, Comment };
    State state = State::Normal;
    int depth = 0;           // [ ] nesting inside values (arrays)
    bool line_start = true;  // only blanks seen on this line so far
    uint32_t line = 1, column = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        ++column;
        if (c == '\n') {
            ++line;
            column = 0;
            line_start = true;
            if (state == State::Comment || state == State::Basic || state == State::Literal) {
                state = State::Normal;
            }
            continue;
        }
        const std::string_view rest = text.substr(i);
        switch (state) {
            case State::Comment:
                continue;
            case State::Basic:
                if (c == '\\') {
                    ++i;
                    ++column;
                } else if (c == '"') {
                    state = State::Normal;
                }
                continue;
            case State::Literal:
                if (c == '\'') state = State::Normal;
                continue;
            case State::MultiBasic:
                if (c == '\\') {
                    ++i;
                    ++column;
                } else if (rest.substr(0, 3) == "\"\"\"") {
                    state = State::Normal;
                    i += 2;
                    column += 2;
                }
                continue;
            case State::MultiLiteral:
                if (rest.substr(0, 3) == "'''") {
                    state = State::Normal;
                    i += 2;
                    column += 2;
                }
                continue;
            case State::Normal:
                break;
        }
        if (c == ' ' || c == '\t' || c == '\r') continue;
        if (c == '[' && depth == 0 && line_start) {
            // A table header: "[" or "[[", blanks, then the first key character.
            size_t j = i + 1;
            if (j < text.size() && text[j] == '[') ++j;
            while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
            if (j < text.size() && !header_start_ok(text[j])) {
                return SourcePosition{line, column + static_cast<uint32_t>(j - i)};
            }
            // Skip the header itself: its brackets are not array nesting.
            while (i + 1 < text.size() && text[i + 1] != '\n') {
                ++i;
                ++column;
            }
            line_start = false;
            continue;
        }
        line_start = false;
        if (c == '#') {
            state = State::Comment;
        } else if (rest.substr(0, 3) == "\"\"\"") {
            state = State::MultiBasic;
            i += 2;
            column += 2;
        } else if (rest.substr(0, 3) == "'''") {
            state = State::MultiLiteral;
            i += 2;
            column += 2;
        } else if (c == '"') {
            state = State::Basic;
        } else if (c == '\'') {
            state = State::Literal;
        } else if (c == '[') {
            ++depth;
        } else if (c == ']' && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

}  // namespace mcsec::config
