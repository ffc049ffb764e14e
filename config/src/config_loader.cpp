// The public entry points: read the file, parse the TOML, read the sections, validate, and turn
// every failure (including exceptions from the parser or the allocator) into ConfigError values.

#include <openssl/crypto.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <new>
#include <system_error>

#include "config_sections.hpp"
#include "config_validate.hpp"
#include "diagnostics.hpp"
#include "mcsec/config/loader.hpp"
#include "toml_header_guard.hpp"
#include "toml_source_map.hpp"
#include "toml_unicode_guard.hpp"

namespace mcsec::config {
namespace {

LoadResult single_error(std::string_view file, std::string message, SourcePosition position = {}) {
    std::vector<ConfigError> errors;
    errors.push_back(ConfigError{.file = std::string(file),
                                 .line = position.line,
                                 .column = position.column,
                                 .key_path = {},
                                 .message = std::move(message)});
    return LoadResult(std::move(errors));
}

// Best effort: the parsed document holds the manual keys as hex strings until it is destroyed.
// (toml++'s own temporary buffers during parsing are out of reach.)
void wipe_key_material(toml::table& root) {
    auto* sas = root.get_as<toml::array>("manual_sas");
    if (sas == nullptr) return;
    for (auto& element : *sas) {
        auto* sa = element.as_table();
        if (sa == nullptr) continue;
        if (auto* key = sa->get_as<std::string>("key_hex")) {
            std::string& text = key->get();
            OPENSSL_cleanse(text.data(), text.size());
        }
    }
}

std::string describe_code_point(char32_t code_point) {
    char text[16];
    std::snprintf(text, sizeof text, "U+%04X", static_cast<unsigned>(code_point));
    return text;
}

// Where the file came from, for checks that depend on it: the mode of a file on disk.
struct FileFacts {
    bool others_may_read = false;  // group or other permission bits are set
    unsigned mode = 0;
};

LoadResult load_document(std::string_view text, const std::string& file,
                         const FileFacts& facts = {}) {
    if (const auto unsupported = find_unsupported_character(text)) {
        return single_error(file,
                            "character " + describe_code_point(unsupported->code_point) +
                                " is not supported in mcsec configuration files (the TOML parser "
                                "mishandles it); use ASCII",
                            unsupported->position);
    }

    if (const auto header = find_malformed_table_header(text)) {
        return single_error(file,
                            "malformed table header: a header starts with a key, e.g. [dataplane] "
                            "or [[groups]]",
                            *header);
    }

    toml::table root;
    try {
        root = toml::parse(text, std::string_view{file});
    } catch (const toml::parse_error& error) {
        return single_error(file, std::string(error.description()),
                            to_position(error.source().begin));
    }

    Diagnostics diagnostics(file, build_source_map(root));
    ApplianceConfig config;
    if (read_appliance_config(root, diagnostics, config)) validate_config(config, diagnostics);
    // Manual keys are secrets like a PSK file: a file that holds them must not be readable by
    // anyone but its owner.
    if (facts.others_may_read && !config.manual_sas.empty()) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", facts.mode & 07777);
        diagnostics.error("manual_sas[0].key_hex",
                          std::string("the file holds manual keys but its mode ") + mode +
                              " lets group or others read it; it must be 0600 or 0400 (chmod 600 " +
                              file + ")");
    }
    wipe_key_material(root);

    if (!diagnostics.empty()) return LoadResult(std::move(diagnostics).take_sorted());
    return LoadResult(std::move(config));
}

// Reads at most kMaxConfigFileBytes; `error` says why nothing was read.
std::optional<std::string> read_config_text(const std::filesystem::path& path, std::string& error) {
    std::error_code status_error;
    const auto status = std::filesystem::status(path, status_error);
    if (status_error) {
        error = "cannot open: " + status_error.message();
        return std::nullopt;
    }
    // Also keeps devices and FIFOs (/dev/zero, a pipe) from being read forever.
    if (!std::filesystem::is_regular_file(status)) {
        error = "not a regular file";
        return std::nullopt;
    }
    const auto size = std::filesystem::file_size(path, status_error);
    if (status_error) {
        error = "cannot read: " + status_error.message();
        return std::nullopt;
    }
    if (size > kMaxConfigFileBytes) {
        error = "is " + std::to_string(size) + " bytes; a configuration file may have at most " +
                std::to_string(kMaxConfigFileBytes);
        return std::nullopt;
    }

    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open: " + std::generic_category().message(errno);
        return std::nullopt;
    }
    // One allocation of the final size: growing the buffer would leave copies of key material
    // in freed memory.
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        OPENSSL_cleanse(text.data(), text.size());
        error = "cannot read: " + std::generic_category().message(errno);
        return std::nullopt;
    }
    // The file may have shrunk since file_size().
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

std::filesystem::path resolve_against(const std::filesystem::path& directory,
                                      const std::filesystem::path& path) {
    if (path.empty() || path.is_absolute()) return path;
    return directory / path;
}

// Relative paths in a file mean "next to this file", wherever the daemon was started from.
void resolve_identity_paths(const std::filesystem::path& config_file, Identity& identity) {
    const auto directory = config_file.parent_path();
    if (auto* x509 = std::get_if<X509Identity>(&identity.credentials)) {
        x509->ca = resolve_against(directory, x509->ca);
        x509->certificate = resolve_against(directory, x509->certificate);
        x509->key = resolve_against(directory, x509->key);
    } else if (auto* psk = std::get_if<PskIdentity>(&identity.credentials)) {
        psk->psk_file = resolve_against(directory, psk->psk_file);
    }
}

// The file text holds the manual keys; wipe it however loading ends.
class WipeOnExit {
  public:
    explicit WipeOnExit(std::string& text) : text_(text) {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { OPENSSL_cleanse(text_.data(), text_.size()); }

  private:
    std::string& text_;
};

template <typename Load>
LoadResult guarded(std::string_view file, Load load) noexcept {
    try {
        try {
            return load();
        } catch (const std::bad_alloc&) {
            return single_error(file, "out of memory while loading the configuration");
        } catch (const std::exception& error) {
            return single_error(file, std::string("internal error: ") + error.what());
        } catch (...) {
            return single_error(file, "internal error while loading the configuration");
        }
    } catch (...) {
        // Building the error itself failed (out of memory): the only answer left is an empty
        // error list, which callers still see as !ok().
        return LoadResult(std::vector<ConfigError>{});
    }
}

}  // namespace

LoadResult load_config_string(std::string_view text, std::string_view source_name) noexcept {
    return guarded(source_name, [&] {
        return load_document(
            text, source_name.empty() ? std::string("<config>") : std::string(source_name));
    });
}

LoadResult load_config_file(const std::filesystem::path& path) noexcept {
    return guarded(path.native(), [&] {
        const auto file = path.string();
        std::string error;
        auto text = read_config_text(path, error);
        if (!text) return single_error(file, std::move(error));
        const WipeOnExit wipe_text{*text};
        FileFacts facts;
        struct stat info {};
        if (::stat(path.c_str(), &info) == 0) {
            facts.others_may_read = (info.st_mode & 077) != 0;
            facts.mode = info.st_mode;
        }
        auto result = load_document(*text, file, facts);
        if (result.ok()) resolve_identity_paths(path, result.config().identity);
        return result;
    });
}

}  // namespace mcsec::config
