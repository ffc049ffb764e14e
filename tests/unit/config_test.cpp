// The config loader: every validation rule, error positions and key paths, and the API's
// no-exceptions guarantee.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "mcsec/config/loader.hpp"

namespace mcsec::config {
namespace {

// A small valid file. Tests derive broken variants with with_replaced(); the line numbers matter
// to the tests that check exact positions.
constexpr std::string_view kValidConfig = R"(schema_version = 1

[instance]
name = "test"
sender_id = 7

[[ports]]
name = "red0"
role = "red"
device = "net_af_packet0,iface=vr1"
addresses = ["10.1.0.1/24"]

[[ports]]
name = "black0"
role = "black"
device = "0000:03:00.0"
addresses = ["192.0.2.1/24", "2001:db8::1/64"]

[[policies]]
name = "gold"
transform = "aes-gcm-128"

[[groups]]
address = "239.1.1.1"
policy = "gold"

[identity]
psk_file = "/etc/mcsec/psk"

[keying]
mode = "manual"

[[manual_sas]]
group = "239.1.1.1"
spi = 4096
key_hex = "000102030405060708090a0b0c0d0e0f10111213"
)";

// The same settings for mike keying, without manual SAs.
constexpr std::string_view kMikeTail = R"([keying]
mode = "mike"

[discovery]
group = "239.255.0.1"
port = 7410
)";

std::string with_replaced(std::string_view text, std::string_view from, std::string_view to) {
    std::string result(text);
    const auto at = result.find(from);
    EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the config";
    if (at != std::string::npos) result.replace(at, from.size(), to);
    return result;
}

std::string without(std::string_view text, std::string_view line) {
    return with_replaced(text, line, "");
}

// kValidConfig with keying switched to mike (and its manual SA removed).
std::string mike_config() {
    const auto keying = kValidConfig.find("[keying]");
    return std::string(kValidConfig.substr(0, keying)) + std::string(kMikeTail);
}

LoadResult load(std::string_view text) {
    return load_config_string(text, "test.toml");
}

std::string all_errors(const LoadResult& result) {
    return result.errors_to_string();
}

// The only error of `result`; fails the test when there are none or several.
ConfigError only_error(const LoadResult& result) {
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.errors().size(), 1U) << all_errors(result);
    return result.errors().empty() ? ConfigError{} : result.errors().front();
}

::testing::AssertionResult has_error(const LoadResult& result, std::string_view key_path,
                                     std::string_view message_part) {
    if (result.ok()) return ::testing::AssertionFailure() << "the config loaded";
    for (const auto& error : result.errors()) {
        if (error.key_path == key_path && error.message.find(message_part) != std::string::npos)
            return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "no error at '" << key_path << "' containing '" << message_part << "' in:\n"
           << all_errors(result);
}

void expect_position(const ConfigError& error, std::uint32_t line, std::uint32_t column) {
    EXPECT_EQ(error.file, "test.toml");
    EXPECT_EQ(error.line, line) << error.to_string();
    EXPECT_EQ(error.column, column) << error.to_string();
}

// --- valid input -----------------------------------------------------------------------------

TEST(ConfigLoader, LoadsValidConfigWithDefaults) {
    const auto result = load(kValidConfig);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const auto& config = result.config();

    EXPECT_EQ(config.schema_version, 1);
    EXPECT_EQ(config.instance.name, "test");
    EXPECT_EQ(config.instance.sender_id, 7);
    EXPECT_EQ(config.instance.state_dir, "/var/lib/mcsec");

    ASSERT_EQ(config.ports.size(), 2U);
    EXPECT_EQ(config.ports[0].role, PortRole::Red);
    EXPECT_EQ(config.ports[0].device_kind, DeviceKind::Vdev);
    EXPECT_EQ(config.ports[0].device, "net_af_packet0,iface=vr1");
    EXPECT_EQ(config.ports[0].mtu, 1500);
    EXPECT_EQ(config.ports[1].device_kind, DeviceKind::Pci);
    ASSERT_EQ(config.ports[1].addresses.size(), 2U);
    EXPECT_EQ(config.ports[1].addresses[1].to_string(), "2001:db8::1/64");

    ASSERT_EQ(config.policies.size(), 1U);
    const auto& policy = config.policies[0];
    EXPECT_EQ(policy.transform, Transform::AesGcm128);
    EXPECT_EQ(policy.replay_window, 1024U);
    EXPECT_TRUE(policy.esn);
    EXPECT_EQ(policy.lifetime.seconds.hard, 0U);  // unlimited

    ASSERT_EQ(config.groups.size(), 1U);
    EXPECT_EQ(config.groups[0].address.to_string(), "239.1.1.1");
    EXPECT_EQ(config.groups[0].action, GroupAction::Protect);
    EXPECT_FALSE(config.groups[0].source.has_value());
    EXPECT_FALSE(config.groups[0].black_group.has_value());
    EXPECT_EQ(config.find_group(config.groups[0].address, std::nullopt), &config.groups[0]);

    ASSERT_TRUE(std::holds_alternative<PskIdentity>(config.identity.credentials));
    EXPECT_EQ(std::get<PskIdentity>(config.identity.credentials).psk_file, "/etc/mcsec/psk");
    EXPECT_FALSE(config.discovery.has_value());
    EXPECT_EQ(config.keying.mode, KeyingMode::Manual);

    ASSERT_EQ(config.manual_sas.size(), 1U);
    EXPECT_EQ(config.manual_sas[0].spi, 4096U);
    const std::uint8_t expected_key[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,
                                         10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    EXPECT_TRUE(config.manual_sas[0].key_and_salt.equals(expected_key));
}

TEST(ConfigLoader, LoadsMikeConfigWithDiscovery) {
    const auto result = load(mike_config());
    ASSERT_TRUE(result.ok()) << all_errors(result);
    ASSERT_TRUE(result.config().discovery.has_value());
    EXPECT_EQ(result.config().discovery->hello_interval_ms, 1000U);
    EXPECT_EQ(result.config().discovery->port, 7410);
    EXPECT_EQ(result.config().keying.mode, KeyingMode::Mike);
}

// --- TOML level ------------------------------------------------------------------------------

TEST(ConfigLoader, SyntaxErrorUsesParserPosition) {
    const auto result = load("schema_version = 1\n[instance]\nname = \"x\"\nsender_id = = 7\n");
    const auto error = only_error(result);
    expect_position(error, 4, 13);
    EXPECT_TRUE(error.key_path.empty());
    EXPECT_EQ(error.to_string().rfind("test.toml:4:13: ", 0), 0U) << error.to_string();
}

TEST(ConfigLoader, DuplicateTomlKeyIsASyntaxError) {
    const auto text = with_replaced(kValidConfig, "sender_id = 7", "sender_id = 7\nsender_id = 8");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.line, 6U);
    EXPECT_TRUE(error.key_path.empty());
}

TEST(ConfigLoader, UnknownTopLevelKeyReportsKeyPosition) {
    const auto text = with_replaced(kValidConfig, "schema_version = 1\n",
                                    "schema_version = 1\nlog_level = \"debug\"\n");
    const auto error = only_error(load(text));
    expect_position(error, 2, 1);
    EXPECT_EQ(error.key_path, "log_level");
    EXPECT_EQ(error.message, "unknown key");
}

TEST(ConfigLoader, UnknownKeyInArrayOfTablesSuggestsTheKnownOne) {
    const auto text = with_replaced(kValidConfig, "device = \"0000:03:00.0\"",
                                    "device = \"0000:03:00.0\"\n  mut = 9000");
    const auto error = only_error(load(text));
    expect_position(error, 17, 3);  // the key itself, not its value
    EXPECT_EQ(error.key_path, "ports[1].mut");
    EXPECT_EQ(error.message, "unknown key (did you mean 'mtu'?)");
    EXPECT_EQ(error.to_string(), "test.toml:17:3: ports[1].mut: unknown key (did you mean 'mtu'?)");
}

TEST(ConfigLoader, UnknownTableHeaderReportsItsName) {
    const auto text = with_replaced(kValidConfig, "[instance]", "[instanse]");
    const auto result = load(text);
    const auto& errors = result.errors();
    const auto unknown = std::find_if(errors.begin(), errors.end(),
                                      [](const auto& e) { return e.key_path == "instanse"; });
    ASSERT_NE(unknown, errors.end());
    expect_position(*unknown, 3, 2);
    EXPECT_EQ(unknown->message, "unknown key (did you mean 'instance'?)");
}

TEST(ConfigLoader, UnknownKeyInNestedInlineTable) {
    const auto text = with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                                    "transform = \"aes-gcm-128\"\nlifetime = { hard_secs = 60 }");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "policies[0].lifetime.hard_secs");
    expect_position(error, 22, 14);
}

TEST(ConfigLoader, WrongTypeReportsValuePosition) {
    const auto text = with_replaced(kValidConfig, "sender_id = 7", "sender_id = \"7\"");
    const auto error = only_error(load(text));
    expect_position(error, 5, 13);
    EXPECT_EQ(error.key_path, "instance.sender_id");
    EXPECT_EQ(error.message, "expected an integer, found a string");
}

TEST(ConfigLoader, WrongTypeForTableAndArrays) {
    auto text = with_replaced(kValidConfig, "[instance]\nname = \"test\"\nsender_id = 7\n",
                              "instance = 5\n");
    EXPECT_TRUE(has_error(load(text), "instance", "expected a table, found an integer"));

    text =
        with_replaced(kValidConfig, "addresses = [\"10.1.0.1/24\"]", "addresses = \"10.1.0.1/24\"");
    EXPECT_TRUE(has_error(load(text), "ports[0].addresses", "expected an array of strings"));

    text = with_replaced(kValidConfig, "addresses = [\"10.1.0.1/24\"]",
                         "addresses = [\"10.1.0.1/24\", 5]");
    EXPECT_TRUE(
        has_error(load(text), "ports[0].addresses[1]", "expected a string, found an integer"));

    text = with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                         "transform = \"aes-gcm-128\"\nesn = \"yes\"");
    EXPECT_TRUE(has_error(load(text), "policies[0].esn", "expected a boolean"));

    text = without(kValidConfig, "[[groups]]\naddress = \"239.1.1.1\"\npolicy = \"gold\"\n");
    text = with_replaced(text, "schema_version = 1\n", "schema_version = 1\ngroups = 3\n");
    EXPECT_TRUE(has_error(load(text), "groups", "expected an array of tables ([[groups]])"));
}

TEST(ConfigLoader, NonTableArrayElementKeepsIndexesAligned) {
    // ports[1] is not a table; the black port is ports[2] and must be reported under that index.
    auto text = without(kValidConfig,
                        "[[ports]]\nname = \"red0\"\nrole = \"red\"\n"
                        "device = \"net_af_packet0,iface=vr1\"\naddresses = [\"10.1.0.1/24\"]\n\n"
                        "[[ports]]\nname = \"black0\"\nrole = \"black\"\n"
                        "device = \"0000:03:00.0\"\n"
                        "addresses = [\"192.0.2.1/24\", \"2001:db8::1/64\"]\n");
    text = with_replaced(
        text, "schema_version = 1\n",
        "schema_version = 1\nports = [\n  { name = \"red0\", role = \"red\", device = \"net_tap0\" "
        "},\n"
        "  7,\n  { name = \"black0\", role = \"black\", device = \"net_tap1\", mtu = 1,"
        " addresses = [\"192.0.2.1/24\"] },\n]\n");
    const auto result = load(text);
    EXPECT_EQ(result.errors().size(), 2U) << all_errors(result);
    EXPECT_TRUE(has_error(result, "ports[1]", "expected a table, found an integer"));
    EXPECT_TRUE(has_error(result, "ports[2].mtu", "must be between 68 and 9216"));
}

TEST(ConfigLoader, MissingRequiredKeyReportsEnclosingTable) {
    const auto text = without(kValidConfig, "sender_id = 7\n");
    const auto error = only_error(load(text));
    expect_position(error, 3, 1);  // the [instance] header
    EXPECT_EQ(error.key_path, "instance.sender_id");
    EXPECT_EQ(error.message, "missing required key");
}

TEST(ConfigLoader, MissingRequiredKeyInArrayOfTablesReportsItsHeader) {
    const auto text = without(kValidConfig, "role = \"black\"\n");
    const auto result = load(text);
    ASSERT_FALSE(result.ok());
    const auto& error = result.errors().front();
    expect_position(error, 13, 1);  // the second [[ports]] header
    EXPECT_EQ(error.key_path, "ports[1].role");
}

TEST(ConfigLoader, MissingRequiredTableReportsDocumentStart) {
    const auto text = without(kValidConfig, "[keying]\nmode = \"manual\"\n");
    const auto error = only_error(load(text));
    expect_position(error, 1, 1);
    EXPECT_EQ(error.key_path, "keying");
}

TEST(ConfigLoader, CollectsEveryErrorInFileOrder) {
    auto text = with_replaced(kValidConfig, "sender_id = 7", "sender_id = 0");
    text = with_replaced(text, "role = \"black\"", "role = \"blue\"");
    text = with_replaced(text, "transform = \"aes-gcm-128\"", "transform = \"aes-cbc\"");
    const auto result = load(text);
    ASSERT_EQ(result.errors().size(), 3U) << all_errors(result);
    EXPECT_EQ(result.errors()[0].key_path, "instance.sender_id");
    EXPECT_EQ(result.errors()[1].key_path, "ports[1].role");
    EXPECT_EQ(result.errors()[2].key_path, "policies[0].transform");
    EXPECT_LT(result.errors()[0].line, result.errors()[1].line);
    EXPECT_LT(result.errors()[1].line, result.errors()[2].line);
}

TEST(ConfigLoader, EmptyDocumentListsWhatIsMissing) {
    const auto result = load("");
    EXPECT_TRUE(has_error(result, "schema_version", "missing required key"));
    EXPECT_TRUE(has_error(result, "instance", "missing required key"));
    EXPECT_TRUE(has_error(result, "ports", "missing required key"));
    EXPECT_TRUE(has_error(result, "identity", "missing required key"));
    EXPECT_TRUE(has_error(result, "keying", "missing required key"));
    for (const auto& error : result.errors()) expect_position(error, 1, 1);
}

TEST(ConfigLoader, RejectsEmptyStringsAndControlCharacters) {
    auto text = with_replaced(kValidConfig, "device = \"0000:03:00.0\"", "device = \"\"");
    EXPECT_TRUE(has_error(load(text), "ports[1].device", "must not be empty"));
    text = with_replaced(kValidConfig, "psk_file = \"/etc/mcsec/psk\"",
                         "psk_file = \"/etc/\\u001b[2Jpsk\"");
    EXPECT_TRUE(has_error(load(text), "identity.psk_file", "control characters"));
}

// --- schema_version and instance -----------------------------------------------------------

TEST(ConfigSchemaVersion, MissingIsAnError) {
    const auto error = only_error(load(without(kValidConfig, "schema_version = 1\n")));
    EXPECT_EQ(error.key_path, "schema_version");
    EXPECT_EQ(error.message, "missing required key");
}

TEST(ConfigSchemaVersion, OtherVersionIsTheOnlyErrorReported) {
    auto text = with_replaced(kValidConfig, "schema_version = 1", "schema_version = 2");
    text = with_replaced(text, "sender_id = 7", "sender_id = 0");  // not reported: other schema
    const auto error = only_error(load(text));
    expect_position(error, 1, 18);
    EXPECT_EQ(error.key_path, "schema_version");
    EXPECT_EQ(error.message, "unsupported schema version 2; this build reads 1");
}

TEST(ConfigInstance, SenderIdOutOfRange) {
    for (const auto* value : {"0", "65536", "-1"}) {
        const auto text =
            with_replaced(kValidConfig, "sender_id = 7", std::string("sender_id = ") + value);
        const auto error = only_error(load(text));
        EXPECT_EQ(error.key_path, "instance.sender_id");
        EXPECT_EQ(error.message, std::string("must be between 1 and 65535 (found ") + value + ")");
    }
    const auto text = with_replaced(kValidConfig, "sender_id = 7", "sender_id = 65535");
    EXPECT_TRUE(load(text).ok());
}

TEST(ConfigInstance, StateDirMustBeAnAbsolutePath) {
    auto text = with_replaced(kValidConfig, "sender_id = 7\n",
                              "sender_id = 7\nstate_dir = \"/run/x/mcsec-state\"\n");
    auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().instance.state_dir, "/run/x/mcsec-state");
    text = with_replaced(kValidConfig, "sender_id = 7\n", "sender_id = 7\nstate_dir = \"state\"\n");
    const auto error = only_error(load(text));
    expect_position(error, 6, 13);
    EXPECT_EQ(error.key_path, "instance.state_dir");
    EXPECT_EQ(error.message, "must be an absolute path (it holds the nonce ledger)");
    text = with_replaced(kValidConfig, "sender_id = 7\n", "sender_id = 7\nstate_dir = 5\n");
    EXPECT_TRUE(has_error(load(text), "instance.state_dir", "expected a string"));
    text = with_replaced(kValidConfig, "sender_id = 7\n", "sender_id = 7\nstate_dir = \"\"\n");
    EXPECT_TRUE(has_error(load(text), "instance.state_dir", "must not be empty"));
}

TEST(ConfigInstance, NameMustBeAShortIdentifier) {
    auto text = with_replaced(kValidConfig, "name = \"test\"", "name = \"../etc\"");
    EXPECT_TRUE(has_error(load(text), "instance.name", "characters from A-Z"));
    text =
        with_replaced(kValidConfig, "name = \"test\"", "name = \"" + std::string(33, 'a') + "\"");
    EXPECT_TRUE(has_error(load(text), "instance.name", "must be 1 to 32 characters"));
}

// --- ports ------------------------------------------------------------------------------------

TEST(ConfigPorts, DuplicateName) {
    const auto text = with_replaced(kValidConfig, "name = \"black0\"", "name = \"red0\"");
    const auto error = only_error(load(text));
    expect_position(error, 14, 8);
    EXPECT_EQ(error.key_path, "ports[1].name");
    EXPECT_EQ(error.message, "duplicate port name 'red0' (first used by ports[0])");
}

TEST(ConfigPorts, DuplicateDeviceInAnySpelling) {
    const auto text = with_replaced(kValidConfig, "device = \"net_af_packet0,iface=vr1\"",
                                    "device = \"03:00.0\"");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "ports[1].device");
    EXPECT_EQ(error.message, "device 0000:03:00.0 is already used by ports[0]");
}

TEST(ConfigPorts, NoRedPort) {
    const auto text = with_replaced(kValidConfig, "role = \"red\"", "role = \"black\"");
    const auto error = only_error(load(text));
    expect_position(error, 7, 1);  // the ports array starts at the first [[ports]]
    EXPECT_EQ(error.key_path, "ports");
    EXPECT_EQ(error.message, "no port has role 'red' (the plaintext side)");
}

TEST(ConfigPorts, NoBlackPort) {
    const auto text = with_replaced(kValidConfig, "role = \"black\"", "role = \"red\"");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "ports");
    EXPECT_EQ(error.message, "no port has role 'black' (the encrypted side)");
}

TEST(ConfigPorts, BadRole) {
    const auto text = with_replaced(kValidConfig, "role = \"red\"", "role = \"green\"");
    const auto error = only_error(load(text));  // and no "no red port" on top of it
    expect_position(error, 9, 8);
    EXPECT_EQ(error.key_path, "ports[0].role");
    EXPECT_EQ(error.message, "unknown role 'green' (expected red or black)");
}

TEST(ConfigPorts, MtuOutOfRange) {
    for (const auto* mtu : {"67", "9217"}) {
        const auto text = with_replaced(kValidConfig, "name = \"black0\"",
                                        std::string("name = \"black0\"\nmtu = ") + mtu);
        const auto error = only_error(load(text));
        EXPECT_EQ(error.key_path, "ports[1].mtu");
        EXPECT_EQ(error.message, std::string("must be between 68 and 9216 (found ") + mtu + ")");
    }
    const auto text =
        with_replaced(kValidConfig, "name = \"black0\"", "name = \"black0\"\nmtu = 9216");
    ASSERT_TRUE(load(text).ok());
    EXPECT_EQ(load(text).config().ports[1].mtu, 9216);
}

TEST(ConfigPorts, RxQueues) {
    const auto with_queues = [](std::string_view value, std::string_view lcores = "[0, 1]") {
        return with_replaced(kValidConfig, "name = \"black0\"",
                             "name = \"black0\"\nrx_queues = " + std::string(value)) +
               "\n[dataplane]\nlcores = " + std::string(lcores) + "\n";
    };
    {
        const auto result = load(kValidConfig);
        ASSERT_TRUE(result.ok()) << all_errors(result);
        EXPECT_FALSE(result.config().ports[1].rx_queues);  // "auto"
    }
    {
        const auto result = load(with_queues("\"auto\""));
        ASSERT_TRUE(result.ok()) << all_errors(result);
        EXPECT_FALSE(result.config().ports[1].rx_queues);
    }
    for (const std::uint16_t queues : {std::uint16_t{1}, std::uint16_t{2}}) {
        const auto result = load(with_queues(std::to_string(queues)));
        ASSERT_TRUE(result.ok()) << all_errors(result);
        EXPECT_EQ(result.config().ports[1].rx_queues, queues);
    }
    const struct {
        std::string_view value;
        std::string_view message;
    } bad[] = {
        {"0", "must be between 1 and 64 (found 0)"},
        {"65", "must be between 1 and 64 (found 65)"},
        {"\"all\"", "expected \"auto\" or an integer between 1 and 64 (found 'all')"},
        {"true", "expected \"auto\" or an integer between 1 and 64, found a boolean"},
        {"3",
         "asks for 3 rx queues, but dataplane.lcores has 2 (each queue is polled by an "
         "lcore of its own)"},
    };
    for (const auto& [value, message] : bad) {
        const auto error = only_error(load(with_queues(value)));
        expect_position(error, 15, 13);
        EXPECT_EQ(error.key_path, "ports[1].rx_queues");
        EXPECT_EQ(error.message, message);
    }
    // A broken lcores list is reported alone, not compared with.
    const auto result = load(with_queues("3", "[0, 0]"));
    EXPECT_TRUE(has_error(result, "dataplane.lcores[1]", "duplicate lcore 0"));
    EXPECT_EQ(result.errors().size(), 1U) << all_errors(result);
}

TEST(ConfigPorts, BadDeviceString) {
    for (const auto* device : {"eth0", "0000:03:00.8", "03:20.0", "net_af_packet0,", "net_tap0,=x",
                               "net_tap0, iface=x", "NET_TAP0"}) {
        const auto text = with_replaced(kValidConfig, "device = \"0000:03:00.0\"",
                                        std::string("device = \"") + device + "\"");
        EXPECT_TRUE(has_error(load(text), "ports[1].device", "")) << device;
    }
    const auto text = with_replaced(kValidConfig, "device = \"0000:03:00.0\"",
                                    "device = \"0000:af:1f.7,mprq_en=1\"");
    EXPECT_TRUE(load(text).ok()) << all_errors(load(text));
}

TEST(ConfigPorts, BadAddress) {
    auto text = with_replaced(kValidConfig, "\"10.1.0.1/24\"", "\"10.1.0.256/24\"");
    auto error = only_error(load(text));
    expect_position(error, 11, 14);
    EXPECT_EQ(error.key_path, "ports[0].addresses[0]");
    EXPECT_EQ(error.message, "'10.1.0.256' is not an IPv4 or IPv6 address");

    text = with_replaced(kValidConfig, "\"2001:db8::1/64\"", "\"2001:db8::1/129\"");
    error = only_error(load(text));
    EXPECT_EQ(error.key_path, "ports[1].addresses[1]");
    EXPECT_EQ(error.message, "prefix length 129 is too long (IPv6 allows 0..128)");

    text = with_replaced(kValidConfig, "\"10.1.0.1/24\"", "\"10.1.0.1/x\"");
    EXPECT_TRUE(has_error(load(text), "ports[0].addresses[0]", "is not a prefix length"));
}

TEST(ConfigPorts, AddressMustBeUnicast) {
    const auto text = with_replaced(kValidConfig, "\"10.1.0.1/24\"", "\"239.0.0.1/24\"");
    EXPECT_TRUE(has_error(load(text), "ports[0].addresses[0]", "not a unicast interface address"));
}

TEST(ConfigPorts, BlackPortNeedsAnAddress) {
    const auto text = without(kValidConfig, "addresses = [\"192.0.2.1/24\", \"2001:db8::1/64\"]\n");
    const auto result = load(text);
    EXPECT_TRUE(has_error(result, "ports[1].addresses", "a black port needs at least one address"));
}

TEST(ConfigPorts, BlackPortNameMustFitATapInterfaceName) {
    // The default exception path is a TAP named after the black port.
    const auto long_name =
        with_replaced(kValidConfig, "name = \"black0\"", "name = \"black-uplink-east1\"");
    EXPECT_TRUE(has_error(load(long_name), "ports[1].name", "at most 15 characters"));
    // Without a TAP the name is free.
    EXPECT_TRUE(load(long_name + "\n[dataplane]\nexception_path = \"none\"\n").ok());
}

// --- groups -----------------------------------------------------------------------------------

TEST(ConfigGroups, BadAddress) {
    const auto text =
        with_replaced(kValidConfig, "address = \"239.1.1.1\"", "address = \"239.1.1\"");
    const auto result = load(text);
    EXPECT_TRUE(has_error(result, "groups[0].address", "'239.1.1' is not an IPv4 or IPv6 address"));
}

TEST(ConfigGroups, AddressMustBeMulticast) {
    const auto text =
        with_replaced(kValidConfig, "address = \"239.1.1.1\"", "address = \"10.9.9.9\"");
    const auto result = load(text);
    ASSERT_FALSE(result.ok());
    const auto& error = result.errors().front();
    expect_position(error, 24, 11);
    EXPECT_EQ(error.key_path, "groups[0].address");
    EXPECT_EQ(error.message, "10.9.9.9 is not a multicast address (224.0.0.0/4 or ff00::/8)");
}

TEST(ConfigGroups, BlackGroupMustBeMulticastOfTheSameFamily) {
    auto text = with_replaced(kValidConfig, "policy = \"gold\"",
                              "policy = \"gold\"\nblack_group = \"192.0.2.9\"");
    EXPECT_TRUE(has_error(load(text), "groups[0].black_group", "is not a multicast address"));

    text = with_replaced(kValidConfig, "policy = \"gold\"",
                         "policy = \"gold\"\nblack_group = \"ff1e::9\"");
    const auto error = only_error(load(text));
    expect_position(error, 26, 15);
    EXPECT_EQ(error.key_path, "groups[0].black_group");
    EXPECT_EQ(error.message,
              "black_group ff1e::9 is IPv6 but address 239.1.1.1 is IPv4 (both must be the same "
              "family)");
}

TEST(ConfigGroups, SourceMustMatchFamilyAndHaveNoHostBits) {
    auto text = with_replaced(kValidConfig, "policy = \"gold\"",
                              "policy = \"gold\"\nsource = \"fd00::/8\"");
    EXPECT_TRUE(has_error(load(text), "groups[0].source", "source fd00::/8 is IPv6 but address"));

    text = with_replaced(kValidConfig, "policy = \"gold\"",
                         "policy = \"gold\"\nsource = \"10.1.0.1/24\"");
    EXPECT_TRUE(has_error(load(text), "groups[0].source",
                          "10.1.0.1/24 has host bits set (did you mean 10.1.0.0/24?)"));
}

TEST(ConfigGroups, DuplicateAddressAndSource) {
    const auto text =
        with_replaced(kValidConfig, "[identity]",
                      "[[groups]]\naddress = \"239.1.1.1\"\npolicy = \"gold\"\n\n[identity]");
    const auto error = only_error(load(text));
    expect_position(error, 28, 11);
    EXPECT_EQ(error.key_path, "groups[1].address");
    EXPECT_EQ(error.message,
              "duplicate group 239.1.1.1 with any source (first defined by groups[0])");
}

TEST(ConfigGroups, SameAddressWithDifferentSourcesIsAllowed) {
    const auto text =
        with_replaced(mike_config(), "[identity]",
                      "[[groups]]\naddress = \"239.1.1.1\"\nsource = \"10.1.0.0/24\"\n"
                      "policy = \"gold\"\n\n[identity]");
    const auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().groups[1].source->to_string(), "10.1.0.0/24");
}

// Issue 11: one group protected from one prefix and bypassed from a wider one is allowed; the
// same prefix twice is refused (it would be one SPD entry), and so is a /0 beside "any source".
TEST(ConfigGroups, OverlappingSourcesAreAllowedButTheSameSelectorTwiceIsNot) {
    const std::string groups =
        "[[groups]]\naddress = \"239.1.1.1\"\nsource = \"172.16.0.0/12\"\naction = \"bypass\"\n\n"
        "[[groups]]\naddress = \"239.1.1.1\"\nsource = \"172.16.0.0/12\"\naction = "
        "\"discard\"\n\n[identity]";
    auto text = with_replaced(mike_config(), "[identity]", groups);
    auto error = only_error(load(text));
    EXPECT_EQ(error.to_string(),
              "test.toml:34:10: groups[2].source: duplicate group 239.1.1.1 with source "
              "172.16.0.0/12 (first defined by groups[1])");

    text = with_replaced(mike_config(), "[identity]",
                         groups.substr(0, groups.find("[[groups]]", 1)) + "[identity]");
    ASSERT_TRUE(load(text).ok()) << all_errors(load(text));

    text = with_replaced(mike_config(), "[identity]",
                         "[[groups]]\naddress = \"239.1.1.1\"\nsource = \"0.0.0.0/0\"\n"
                         "action = \"bypass\"\n\n[identity]");
    error = only_error(load(text));
    EXPECT_EQ(error.key_path, "groups[1].source");
    EXPECT_EQ(error.message,
              "duplicate group 239.1.1.1 with source 0.0.0.0/0 (any source) (first defined by "
              "groups[0])");
}

// A manual SA finds its group by the same selector: a /0 is any source.
TEST(ConfigGroups, ManualSaOfAGroupWithASlashZeroSource) {
    const auto text = with_replaced(kValidConfig, "policy = \"gold\"",
                                    "policy = \"gold\"\nsource = \"0.0.0.0/0\"");
    const auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const auto& config = result.config();
    EXPECT_EQ(config.find_group(config.manual_sas[0].group, config.manual_sas[0].source),
              &config.groups[0]);
}

TEST(ConfigGroups, PolicyMustExist) {
    const auto text = with_replaced(kValidConfig, "policy = \"gold\"", "policy = \"silver\"");
    const auto error = only_error(load(text));
    expect_position(error, 25, 10);
    EXPECT_EQ(error.key_path, "groups[0].policy");
    EXPECT_EQ(error.message, "no policy named 'silver' in [[policies]]");
}

TEST(ConfigGroups, ProtectNeedsAPolicyButDiscardDoesNot) {
    auto text = without(mike_config(), "policy = \"gold\"\n");
    const auto error = only_error(load(text));
    expect_position(error, 23, 1);
    EXPECT_EQ(error.key_path, "groups[0].policy");
    EXPECT_EQ(error.message, "missing required key (a group with action 'protect' needs a policy)");

    text = with_replaced(mike_config(), "policy = \"gold\"", "action = \"discard\"");
    const auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().groups[0].action, GroupAction::Discard);
}

TEST(ConfigGroups, UnknownAction) {
    const auto text =
        with_replaced(kValidConfig, "policy = \"gold\"", "policy = \"gold\"\naction = \"drop\"");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "groups[0].action");
    EXPECT_EQ(error.message, "unknown action 'drop' (expected protect, bypass or discard)");
}

TEST(ConfigGroups, ProtectedGroupNeedsABlackAddressOfItsFamily) {
    const auto text =
        with_replaced(mike_config(), "address = \"239.1.1.1\"", "address = \"ff1e::1\"");
    const auto config_text =
        with_replaced(text, "\"192.0.2.1/24\", \"2001:db8::1/64\"", "\"192.0.2.1/24\"");
    const auto error = only_error(load(config_text));
    EXPECT_EQ(error.key_path, "groups[0].address");
    EXPECT_EQ(error.message,
              "no black port has an IPv6 address to send this group's ESP packets from");
}

// --- policies ---------------------------------------------------------------------------------

TEST(ConfigPolicies, DuplicateName) {
    const auto text =
        with_replaced(kValidConfig, "[[groups]]",
                      "[[policies]]\nname = \"gold\"\ntransform = \"aes-gcm-256\"\n\n[[groups]]");
    const auto error = only_error(load(text));
    expect_position(error, 24, 8);
    EXPECT_EQ(error.key_path, "policies[1].name");
    EXPECT_EQ(error.message, "duplicate policy name 'gold' (first used by policies[0])");
}

TEST(ConfigPolicies, UnknownTransform) {
    const auto text = with_replaced(kValidConfig, "\"aes-gcm-128\"", "\"aes-gcm-192\"");
    const auto error = only_error(load(text));
    expect_position(error, 21, 13);
    EXPECT_EQ(error.key_path, "policies[0].transform");
    EXPECT_EQ(error.message,
              "unknown transform 'aes-gcm-192' (expected aes-gcm-128 or aes-gcm-256)");
}

TEST(ConfigPolicies, ReplayWindowRange) {
    for (const auto* window : {"63", "4097"}) {
        const auto text =
            with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                          std::string("transform = \"aes-gcm-128\"\nreplay_window = ") + window);
        const auto error = only_error(load(text));
        EXPECT_EQ(error.key_path, "policies[0].replay_window");
        EXPECT_EQ(error.message, std::string("must be between 64 and 4096 (found ") + window + ")");
    }
    const auto text = with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                                    "transform = \"aes-gcm-128\"\nreplay_window = 64\nesn = false");
    const auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().policies[0].replay_window, 64U);
    EXPECT_FALSE(result.config().policies[0].esn);
}

TEST(ConfigPolicies, LifetimeSoftMustNotExceedHard) {
    const auto text =
        with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                      "transform = \"aes-gcm-128\"\n[policies.lifetime]\nsoft_seconds = "
                      "4000\nhard_seconds = 3600");
    const auto error = only_error(load(text));
    expect_position(error, 23, 16);
    EXPECT_EQ(error.key_path, "policies[0].lifetime.soft_seconds");
    EXPECT_EQ(error.message, "soft_seconds (4000) must not exceed hard_seconds (3600)");
}

TEST(ConfigPolicies, LifetimeZeroMeansUnlimited) {
    const auto text = with_replaced(
        kValidConfig, "transform = \"aes-gcm-128\"",
        "transform = \"aes-gcm-128\"\nlifetime = { soft_bytes = 1000, hard_bytes = 0, "
        "soft_packets = 10, hard_packets = 10 }");
    const auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const auto& lifetime = result.config().policies[0].lifetime;
    EXPECT_EQ(lifetime.bytes.soft, 1000U);
    EXPECT_EQ(lifetime.bytes.hard, 0U);
    EXPECT_EQ(lifetime.packets.hard, 10U);

    const auto negative =
        with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                      "transform = \"aes-gcm-128\"\nlifetime = { hard_seconds = -1 }");
    EXPECT_TRUE(
        has_error(load(negative), "policies[0].lifetime.hard_seconds", "must be between 0"));
}

TEST(ConfigPolicies, ReplayCheckDefaultsToOnAndCanBeTurnedOff) {
    auto result = load(kValidConfig);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_TRUE(result.config().policies[0].replay_check);

    auto text = with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                              "transform = \"aes-gcm-128\"\nreplay_check = false");
    result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_FALSE(result.config().policies[0].replay_check);

    text = with_replaced(kValidConfig, "transform = \"aes-gcm-128\"",
                         "transform = \"aes-gcm-128\"\nreplay_check = \"off\"");
    const auto error = only_error(load(text));
    expect_position(error, 22, 16);
    EXPECT_EQ(error.key_path, "policies[0].replay_check");
    EXPECT_EQ(error.message, "expected a boolean (true or false), found a string");
}

// --- dataplane --------------------------------------------------------------------------------

// kValidConfig with a [dataplane] table appended: the header is on line 38, the first line of
// `body` on line 39.
std::string with_dataplane(std::string_view body) {
    return std::string(kValidConfig) + "\n[dataplane]\n" + std::string(body) + "\n";
}

constexpr std::uint32_t kDataplaneBodyLine = 39;

TEST(ConfigDataplane, DefaultsWhenTheTableIsAbsent) {
    const auto result = load(kValidConfig);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const Dataplane& dataplane = result.config().dataplane;
    EXPECT_EQ(dataplane.lcores, std::vector<std::uint16_t>{0});
    EXPECT_TRUE(dataplane.hugepages);
    EXPECT_EQ(dataplane.memory_mb, 256U);
    EXPECT_EQ(dataplane.mbufs, 8191U);
    EXPECT_EQ(dataplane.idle_sleep_us, 0U);
    EXPECT_EQ(dataplane.idle_polls, 64U);
    EXPECT_EQ(dataplane.outer_ttl, 64);
    EXPECT_TRUE(dataplane.copy_dscp);
    EXPECT_EQ(dataplane.mtu_policy, MtuPolicy::Icmp);
    EXPECT_EQ(dataplane.sa_slots, 1024U);
    EXPECT_EQ(dataplane.max_senders, 16U);
    EXPECT_EQ(dataplane.exception_path, ExceptionPath::Tap);
    EXPECT_EQ(dataplane.query_interval_s, 125U);
    EXPECT_TRUE(dataplane.eal_args.empty());
}

TEST(ConfigDataplane, EmptyTableKeepsTheDefaults) {
    const auto result = load(with_dataplane(""));
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().dataplane.lcores, std::vector<std::uint16_t>{0});
    EXPECT_EQ(result.config().dataplane.memory_mb, 256U);
}

TEST(ConfigDataplane, LoadsEveryKey) {
    const auto result = load(with_dataplane(R"(lcores = [2, 3, 1023]
hugepages = false
memory_mb = 64
mbufs = 1023
idle_sleep_us = 100
idle_polls = 1000000
outer_ttl = 255
copy_dscp = false
mtu_policy = "fragment"
sa_slots = 1048576
max_senders = 4096
exception_path = "none"
query_interval_s = 0
eal_args = ["--log-level=lib.eal:debug", "--in-memory"])"));
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const Dataplane& dataplane = result.config().dataplane;
    EXPECT_EQ(dataplane.lcores, (std::vector<std::uint16_t>{2, 3, 1023}));
    EXPECT_FALSE(dataplane.hugepages);
    EXPECT_EQ(dataplane.memory_mb, 64U);
    EXPECT_EQ(dataplane.mbufs, 1023U);
    EXPECT_EQ(dataplane.idle_sleep_us, 100U);
    EXPECT_EQ(dataplane.idle_polls, 1000000U);
    EXPECT_EQ(dataplane.outer_ttl, 255);
    EXPECT_FALSE(dataplane.copy_dscp);
    EXPECT_EQ(dataplane.mtu_policy, MtuPolicy::Fragment);
    EXPECT_EQ(dataplane.sa_slots, 1048576U);
    EXPECT_EQ(dataplane.max_senders, 4096U);
    EXPECT_EQ(dataplane.exception_path, ExceptionPath::None);
    EXPECT_EQ(dataplane.query_interval_s, 0U);
    EXPECT_EQ(dataplane.eal_args,
              (std::vector<std::string>{"--log-level=lib.eal:debug", "--in-memory"}));
    EXPECT_EQ(to_string(dataplane.mtu_policy), "fragment");
    EXPECT_EQ(to_string(dataplane.exception_path), "none");
    EXPECT_EQ(to_string(MtuPolicy::Icmp), "icmp");
    EXPECT_EQ(to_string(ExceptionPath::Tap), "tap");
}

TEST(ConfigDataplane, InlineTableWorksToo) {
    const auto text = with_replaced(kValidConfig, "schema_version = 1\n",
                                    "schema_version = 1\ndataplane = { hugepages = false, "
                                    "lcores = [1] }\n");
    const auto result = load(text);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_FALSE(result.config().dataplane.hugepages);
    EXPECT_EQ(result.config().dataplane.lcores, std::vector<std::uint16_t>{1});
}

struct IntegerRange {
    std::string_view key;
    std::int64_t min;
    std::int64_t max;
};

constexpr IntegerRange kDataplaneRanges[] = {
    {"memory_mb", 16, 65536},   {"mbufs", 1023, 1048575},      {"idle_sleep_us", 0, 100000},
    {"idle_polls", 1, 1000000}, {"outer_ttl", 1, 255},         {"sa_slots", 1, 1048576},
    {"max_senders", 1, 4096},   {"query_interval_s", 0, 3600},
};

TEST(ConfigDataplane, IntegersOutOfRangeNameKeyAndValuePosition) {
    for (const auto& range : kDataplaneRanges) {
        for (const auto value : {range.min - 1, range.max + 1}) {
            const auto line = std::string(range.key) + " = " + std::to_string(value);
            const auto error = only_error(load(with_dataplane(line)));
            // The value starts after "key = ".
            expect_position(error, kDataplaneBodyLine,
                            static_cast<std::uint32_t>(range.key.size() + 4));
            EXPECT_EQ(error.key_path, "dataplane." + std::string(range.key));
            EXPECT_EQ(error.message, "must be between " + std::to_string(range.min) + " and " +
                                         std::to_string(range.max) + " (found " +
                                         std::to_string(value) + ")");
        }
        for (const auto value : {range.min, range.max}) {
            const auto text =
                with_dataplane(std::string(range.key) + " = " + std::to_string(value));
            EXPECT_TRUE(load(text).ok()) << all_errors(load(text));
        }
    }
}

TEST(ConfigDataplane, OuterTtlOutOfRangeExactText) {
    const auto error = only_error(load(with_dataplane("hugepages = true\nouter_ttl = 0")));
    EXPECT_EQ(error.to_string(),
              "test.toml:40:13: dataplane.outer_ttl: must be between 1 and 255 (found 0)");
}

TEST(ConfigDataplane, MaxSendersMustBeAtLeastOne) {
    const auto error = only_error(load(with_dataplane("max_senders = 0")));
    expect_position(error, kDataplaneBodyLine, 15);
    EXPECT_EQ(error.key_path, "dataplane.max_senders");
    EXPECT_EQ(error.message, "must be between 1 and 4096 (found 0)");
}

TEST(ConfigDataplane, LcoreIdOutOfRange) {
    auto error = only_error(load(with_dataplane("lcores = [0, 1024]")));
    expect_position(error, kDataplaneBodyLine, 14);
    EXPECT_EQ(error.key_path, "dataplane.lcores[1]");
    EXPECT_EQ(error.message, "must be between 0 and 1023 (found 1024)");

    error = only_error(load(with_dataplane("lcores = [-1]")));
    expect_position(error, kDataplaneBodyLine, 11);
    EXPECT_EQ(error.key_path, "dataplane.lcores[0]");
    EXPECT_EQ(error.message, "must be between 0 and 1023 (found -1)");
}

TEST(ConfigDataplane, LcoreCount) {
    auto error = only_error(load(with_dataplane("lcores = []")));
    expect_position(error, kDataplaneBodyLine, 10);
    EXPECT_EQ(error.key_path, "dataplane.lcores");
    EXPECT_EQ(error.message, "must have 1 to 64 entries (found 0)");

    std::string ids;
    for (int id = 0; id < 65; ++id) ids += (id == 0 ? "" : ", ") + std::to_string(id);
    error = only_error(load(with_dataplane("lcores = [" + ids + "]")));
    EXPECT_EQ(error.key_path, "dataplane.lcores");
    EXPECT_EQ(error.message, "must have 1 to 64 entries (found 65)");

    const auto last_comma = ids.rfind(", ");
    const auto result = load(with_dataplane("lcores = [" + ids.substr(0, last_comma) + "]"));
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().dataplane.lcores.size(), 64U);
}

TEST(ConfigDataplane, DuplicateLcore) {
    const auto result = load(with_dataplane("lcores = [2, 3, 2, 3]"));
    ASSERT_EQ(result.errors().size(), 2U) << all_errors(result);
    const auto& error = result.errors()[0];
    expect_position(error, kDataplaneBodyLine, 17);
    EXPECT_EQ(error.key_path, "dataplane.lcores[2]");
    EXPECT_EQ(error.message, "duplicate lcore 2 (first listed at dataplane.lcores[0])");
    EXPECT_EQ(result.errors()[1].key_path, "dataplane.lcores[3]");
    EXPECT_EQ(result.errors()[1].message,
              "duplicate lcore 3 (first listed at dataplane.lcores[1])");
}

TEST(ConfigDataplane, WrongTypes) {
    struct Case {
        std::string_view line;
        std::string_view key_path;
        std::string_view message;
    };
    constexpr Case kCases[] = {
        {"hugepages = \"yes\"", "dataplane.hugepages",
         "expected a boolean (true or false), found a string"},
        {"copy_dscp = 1", "dataplane.copy_dscp",
         "expected a boolean (true or false), found an integer"},
        {"memory_mb = 64.0", "dataplane.memory_mb",
         "expected an integer, found a floating-point number"},
        {"mbufs = \"8191\"", "dataplane.mbufs", "expected an integer, found a string"},
        {"lcores = 3", "dataplane.lcores", "expected an array of integers, found an integer"},
        {"lcores = [0, \"1\"]", "dataplane.lcores[1]", "expected an integer, found a string"},
        {"mtu_policy = 1", "dataplane.mtu_policy", "expected a string, found an integer"},
        {"exception_path = false", "dataplane.exception_path",
         "expected a string, found a boolean"},
        {"eal_args = \"--in-memory\"", "dataplane.eal_args",
         "expected an array of strings, found a string"},
        {"eal_args = [\"--in-memory\", 5]", "dataplane.eal_args[1]",
         "expected a string, found an integer"},
        {"eal_args = [\"\"]", "dataplane.eal_args[0]",
         "must be a non-empty string without control characters"},
    };
    for (const auto& test : kCases) {
        const auto error = only_error(load(with_dataplane(test.line)));
        EXPECT_EQ(error.line, kDataplaneBodyLine) << test.line;
        EXPECT_EQ(error.key_path, test.key_path) << test.line;
        EXPECT_EQ(error.message, test.message) << test.line;
    }

    const auto text =
        with_replaced(kValidConfig, "schema_version = 1\n", "schema_version = 1\ndataplane = 5\n");
    const auto error = only_error(load(text));
    expect_position(error, 2, 13);
    EXPECT_EQ(error.key_path, "dataplane");
    EXPECT_EQ(error.message, "expected a table, found an integer");
}

TEST(ConfigDataplane, UnknownKey) {
    auto error = only_error(load(with_dataplane("hugepages = false\nmemory_mib = 64")));
    expect_position(error, kDataplaneBodyLine + 1, 1);  // the key itself
    EXPECT_EQ(error.key_path, "dataplane.memory_mib");
    EXPECT_EQ(error.message, "unknown key (did you mean 'memory_mb'?)");

    error = only_error(load(with_dataplane("numa_nodes = 2")));
    EXPECT_EQ(error.key_path, "dataplane.numa_nodes");
    EXPECT_EQ(error.message, "unknown key");
}

TEST(ConfigDataplane, UnknownMtuPolicy) {
    const auto error = only_error(load(with_dataplane("mtu_policy = \"pmtud\"")));
    expect_position(error, kDataplaneBodyLine, 14);
    EXPECT_EQ(error.key_path, "dataplane.mtu_policy");
    EXPECT_EQ(error.message, "unknown mtu_policy 'pmtud' (expected icmp or fragment)");
}

TEST(ConfigDataplane, UnknownExceptionPath) {
    const auto error = only_error(load(with_dataplane("exception_path = \"kni\"")));
    expect_position(error, kDataplaneBodyLine, 18);
    EXPECT_EQ(error.key_path, "dataplane.exception_path");
    EXPECT_EQ(error.message, "unknown exception_path 'kni' (expected tap or none)");
}

TEST(ConfigDataplane, ErrorsElsewhereAreStillReported) {
    auto text = with_replaced(kValidConfig, "sender_id = 7", "sender_id = 0");
    text += "\n[dataplane]\nouter_ttl = 300\n";
    const auto result = load(text);
    ASSERT_EQ(result.errors().size(), 2U) << all_errors(result);
    EXPECT_EQ(result.errors()[0].key_path, "instance.sender_id");
    EXPECT_EQ(result.errors()[1].key_path, "dataplane.outer_ttl");
}

// --- identity ---------------------------------------------------------------------------------

TEST(ConfigIdentity, BothStylesAreAnError) {
    const auto text = with_replaced(kValidConfig, "psk_file = \"/etc/mcsec/psk\"",
                                    "psk_file = \"/etc/mcsec/psk\"\nca = \"ca.pem\"\ncertificate = "
                                    "\"me.pem\"\nkey = \"me.key\"");
    const auto error = only_error(load(text));
    expect_position(error, 28, 12);
    EXPECT_EQ(error.key_path, "identity.psk_file");
    EXPECT_EQ(
        error.message,
        "psk_file cannot be combined with ca, certificate and key: choose one identity style");
}

TEST(ConfigIdentity, NeitherStyleIsAnError) {
    const auto text = without(kValidConfig, "psk_file = \"/etc/mcsec/psk\"\n");
    const auto error = only_error(load(text));
    expect_position(error, 27, 1);
    EXPECT_EQ(error.key_path, "identity");
    EXPECT_EQ(error.message,
              "needs either ca, certificate and key (X.509) or psk_file (pre-shared key)");
}

TEST(ConfigIdentity, X509NeedsAllThreeFiles) {
    const auto text = with_replaced(kValidConfig, "psk_file = \"/etc/mcsec/psk\"",
                                    "ca = \"/etc/mcsec/ca.pem\"\nkey = \"/etc/mcsec/me.key\"");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "identity.certificate");
    EXPECT_EQ(error.message, "missing required key");

    const auto complete =
        with_replaced(text, "key = ", "certificate = \"/etc/mcsec/me.pem\"\nkey = ");
    const auto result = load(complete);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const auto& x509 = std::get<X509Identity>(result.config().identity.credentials);
    EXPECT_EQ(x509.certificate, "/etc/mcsec/me.pem");
}

// --- group access ------------------------------------------------------------------------------

// mike_config() with `lines` added to its group (which sits at lines 23-25 of the file).
std::string mike_group_with(std::string_view lines) {
    return with_replaced(mike_config(), "policy = \"gold\"\n",
                         "policy = \"gold\"\n" + std::string(lines));
}

std::string with_x509(std::string text) {
    return with_replaced(text, "psk_file = \"/etc/mcsec/psk\"",
                         "ca = \"/etc/mcsec/ca.pem\"\ncertificate = \"/etc/mcsec/me.pem\"\n"
                         "key = \"/etc/mcsec/me.key\"");
}

TEST(ConfigGroupAccess, AbsentListIsAnOpenGroup) {
    const auto result = load(mike_config());
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_FALSE(result.config().groups[0].access.has_value());
}

TEST(ConfigGroupAccess, MembersAndSendersLoadWithTheirKinds) {
    const auto result = load(with_x509(
        mike_group_with("members = [\"enc-*\", \"node:hq\", \"ou:red\", \"dns:*.red.example\"]\n"
                        "senders = [\"hq\"]\n")));
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const auto& access = result.config().groups[0].access;
    ASSERT_TRUE(access.has_value());
    using Kind = AccessPattern::Kind;
    EXPECT_EQ(access->members, (std::vector<AccessPattern>{{Kind::NodeId, "enc-*"},
                                                           {Kind::NodeId, "hq"},
                                                           {Kind::Ou, "red"},
                                                           {Kind::DnsName, "*.red.example"}}));
    ASSERT_TRUE(access->senders.has_value());
    EXPECT_EQ(*access->senders, (std::vector<AccessPattern>{{Kind::NodeId, "hq"}}));
}

TEST(ConfigGroupAccess, SendersWithoutMembersIsAnError) {
    const auto error = only_error(load(mike_group_with("senders = [\"hq\"]\n")));
    EXPECT_EQ(error.key_path, "groups[0].senders");
    expect_position(error, 26, 11);
    EXPECT_NE(error.message.find("needs 'members'"), std::string::npos) << error.message;
}

TEST(ConfigGroupAccess, EmptyMemberListIsAnError) {
    const auto error = only_error(load(mike_group_with("members = []\n")));
    EXPECT_EQ(error.key_path, "groups[0].members");
    EXPECT_NE(error.message.find("lets nobody join"), std::string::npos) << error.message;
}

TEST(ConfigGroupAccess, BadPatternsNameTheirElement) {
    const auto result = load(mike_group_with("members = [\"enc-1\", \"role:admin\", \"enc 2\"]\n"));
    EXPECT_TRUE(has_error(result, "groups[0].members[1]", "unknown kind 'role'"));
    EXPECT_TRUE(has_error(result, "groups[0].members[2]", "a node id pattern has only"));
    EXPECT_EQ(result.errors().size(), 2U) << all_errors(result);
    // The position is the element's own, so the operator sees which entry is wrong.
    expect_position(result.errors()[0], 26, 21);
    EXPECT_TRUE(has_error(load(mike_group_with("members = [\"ou:\"]\n")), "groups[0].members[0]",
                          "must be 1 to 255 characters"));
}

TEST(ConfigGroupAccess, CertificateAttributesNeedX509) {
    const auto result = load(mike_group_with("members = [\"enc-1\", \"ou:red\"]\n"));
    const auto error = only_error(result);
    EXPECT_EQ(error.key_path, "groups[0].members[1]");
    EXPECT_NE(error.message.find("need an [identity] with x509"), std::string::npos)
        << error.message;
}

TEST(ConfigGroupAccess, OnlyProtectedGroupsUnderMikeTakeAList) {
    const auto bypass = load(mike_group_with("action = \"bypass\"\nmembers = [\"enc-1\"]\n"));
    EXPECT_TRUE(has_error(bypass, "groups[0].members", "protected groups only"));
    // With manual keys every holder of the key file is a member: a list would promise nothing.
    const auto manual = load(with_replaced(kValidConfig, "policy = \"gold\"\n",
                                           "policy = \"gold\"\nmembers = [\"enc-1\"]\n"));
    EXPECT_TRUE(has_error(manual, "groups[0].members", "needs keying.mode \"mike\""));
}

TEST(ConfigGroupAccess, EntriesOfOneAddressMustAgree) {
    const auto text = mike_group_with(
        "source = \"10.1.0.0/24\"\nmembers = [\"enc-1\"]\n\n[[groups]]\naddress = \"239.1.1.1\"\n"
        "source = \"10.2.0.0/24\"\npolicy = \"gold\"\nmembers = [\"enc-2\"]\n");
    EXPECT_TRUE(has_error(load(text), "groups[1].members", "another access list"));
    const auto same = with_replaced(text, "[\"enc-2\"]", "[\"enc-1\"]");
    const auto result = load(same);
    EXPECT_TRUE(result.ok()) << all_errors(result);
}

// --- discovery and keying -------------------------------------------------------------------

TEST(ConfigKeying, UnknownMode) {
    const auto text = with_replaced(kValidConfig, "mode = \"manual\"", "mode = \"ike\"");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "keying.mode");
    EXPECT_EQ(error.message, "unknown mode 'ike' (expected manual, mike or lkh)");
}

TEST(ConfigKeying, MikeAndLkhNeedDiscovery) {
    const auto text = without(mike_config(), "[discovery]\ngroup = \"239.255.0.1\"\nport = 7410\n");
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "keying.mode");
    EXPECT_EQ(error.message, "keying mode 'mike' needs a [discovery] table to find its peers");
}

TEST(ConfigKeying, DiscoverySettingsAreChecked) {
    auto text = with_replaced(mike_config(), "group = \"239.255.0.1\"", "group = \"192.0.2.1\"");
    EXPECT_TRUE(has_error(load(text), "discovery.group", "is not a multicast address"));
    text = with_replaced(mike_config(), "port = 7410", "port = 0");
    EXPECT_TRUE(has_error(load(text), "discovery.port", "must be between 1 and 65535"));
    text = with_replaced(mike_config(), "port = 7410", "port = 7410\nhello_interval_ms = 99");
    EXPECT_TRUE(
        has_error(load(text), "discovery.hello_interval_ms", "must be between 100 and 60000"));
    text = with_replaced(mike_config(), "group = \"239.255.0.1\"", "group = \"ff1e::77\"");
    text = with_replaced(text, "\"192.0.2.1/24\", \"2001:db8::1/64\"", "\"192.0.2.1/24\"");
    EXPECT_TRUE(has_error(load(text), "discovery.group",
                          "no black port has an IPv6 address to send discovery hellos from"));
}

TEST(ConfigKeying, ManualModeNeedsManualSas) {
    const auto text = without(kValidConfig,
                              "[[manual_sas]]\ngroup = \"239.1.1.1\"\nspi = 4096\nkey_hex = "
                              "\"000102030405060708090a0b0c0d0e0f10111213\"\n");
    const auto error = only_error(load(text));
    expect_position(error, 31, 8);
    EXPECT_EQ(error.key_path, "keying.mode");
    EXPECT_EQ(error.message, "keying mode 'manual' needs at least one [[manual_sas]] entry");
}

TEST(ConfigKeying, ManualSasNeedManualMode) {
    const auto text = mike_config() +
                      "\n[[manual_sas]]\ngroup = \"239.1.1.1\"\nspi = 4096\n"
                      "key_hex = \"000102030405060708090a0b0c0d0e0f10111213\"\n";
    const auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "manual_sas");
    EXPECT_EQ(error.message,
              "manual_sas are only used when keying.mode is 'manual' (it is 'mike')");
}

// [keying.lkh]: sender keys on a mike box, emcon on an lkh box, nothing under manual keying.
std::string with_lkh(std::string_view mode, std::string_view lkh_lines) {
    auto text =
        with_replaced(mike_config(), "mode = \"mike\"", "mode = \"" + std::string(mode) + "\"");
    return with_replaced(text, "[discovery]",
                         "[keying.lkh]\n" + std::string(lkh_lines) + "\n[discovery]");
}

TEST(ConfigKeyingLkh, SenderSettingsAreReadAndChecked) {
    const auto result = load(with_lkh("mike",
                                      "degree = 8\nmax_receivers = 100000\nlink_bps = 9600\n"
                                      "copies = 4\nbatch_window_ms = 2000\n"
                                      "state_interval_ms = 30000\nadmission = \"renew\""));
    ASSERT_TRUE(result.ok()) << all_errors(result);
    const auto& lkh = *result.config().keying.lkh;
    EXPECT_EQ(lkh.degree, 8u);
    EXPECT_EQ(lkh.max_receivers, 100000u);
    EXPECT_EQ(lkh.copies, 4u);
    EXPECT_EQ(lkh.batch_window_ms, 2000u);
    EXPECT_EQ(lkh.state_interval_ms, 30000u);
    EXPECT_TRUE(lkh.renew_on_admission);
    EXPECT_FALSE(load(mike_config()).config().keying.lkh) << "absent: no LKH distribution";

    EXPECT_TRUE(
        has_error(load(with_lkh("mike", "degree = 3")), "keying.lkh.degree", "must be 2, 4 or 8"));
    EXPECT_TRUE(has_error(load(with_lkh("mike", "copies = 0")), "keying.lkh.copies",
                          "must be between 1 and 10"));
    EXPECT_TRUE(has_error(load(with_lkh("mike", "admission = \"later\"")), "keying.lkh.admission",
                          "must be \"hand-over\" or \"renew\""));
    EXPECT_TRUE(has_error(load(with_lkh("mike", "degre = 4")), "keying.lkh.degre", "unknown key"));
}

TEST(ConfigKeyingLkh, EachSideRefusesTheOtherSidesKeys) {
    const auto receiver = load(with_lkh("lkh", "emcon = true"));
    ASSERT_TRUE(receiver.ok()) << all_errors(receiver);
    EXPECT_TRUE(receiver.config().keying.lkh->emcon);
    EXPECT_TRUE(has_error(load(with_lkh("lkh", "copies = 2")), "keying.lkh.copies",
                          "applies to sender boxes"));
    EXPECT_TRUE(has_error(load(with_lkh("mike", "emcon = true")), "keying.lkh.emcon",
                          "applies to receiver boxes"));
    const auto manual = with_replaced(kValidConfig, "mode = \"manual\"",
                                      "mode = \"manual\"\n[keying.lkh]\nemcon = true");
    EXPECT_TRUE(has_error(load(manual), "keying.lkh", "needs keying.mode"));
}

// --- manual SAs -------------------------------------------------------------------------------

TEST(ConfigManualSas, UnknownGroup) {
    const auto text = with_replaced(kValidConfig, "group = \"239.1.1.1\"", "group = \"239.1.1.2\"");
    const auto result = load(text);
    ASSERT_EQ(result.errors().size(), 2U) << all_errors(result);
    // The SA that names a missing group, and the group that is left without an SA.
    EXPECT_TRUE(has_error(result, "groups[0].address",
                          "group 239.1.1.1 with any source is protected but has no entry in "
                          "[[manual_sas]]"));
    const auto& error = result.errors()[1];
    expect_position(error, 34, 9);
    EXPECT_EQ(error.key_path, "manual_sas[0].group");
    EXPECT_EQ(error.message, "no group 239.1.1.2 with any source in [[groups]]");
}

TEST(ConfigManualSas, SourceMustMatchTheGroupsSource) {
    const auto text =
        with_replaced(kValidConfig, "spi = 4096", "source = \"10.1.0.0/24\"\nspi = 4096");
    EXPECT_TRUE(has_error(load(text), "manual_sas[0].group",
                          "no group 239.1.1.1 with source 10.1.0.0/24 in [[groups]]"));
}

TEST(ConfigManualSas, KeyLengthFollowsThePolicy) {
    // 20 bytes is right for aes-gcm-128; switch the policy to aes-gcm-256 and it needs 36.
    const auto text = with_replaced(kValidConfig, "\"aes-gcm-128\"", "\"aes-gcm-256\"");
    const auto error = only_error(load(text));
    expect_position(error, 36, 11);
    EXPECT_EQ(error.key_path, "manual_sas[0].key_hex");
    EXPECT_EQ(error.message,
              "is 20 bytes but policy 'gold' (aes-gcm-256) needs 36 (a 32-byte key and a 4-byte "
              "salt)");
    // The key never appears, not even in part.
    EXPECT_EQ(error.to_string().find("0001020304"), std::string::npos);

    const auto long_key = with_replaced(
        text, "\"000102030405060708090a0b0c0d0e0f10111213\"",
        "\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223\"");
    const auto result = load(long_key);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config().manual_sas[0].key_and_salt.size(), 36U);
}

TEST(ConfigManualSas, BadHex) {
    const std::string key = "000102030405060708090a0b0c0d0e0f10111213";
    auto text = with_replaced(kValidConfig, key, "00010203040506070809xa0b0c0d0e0f10111213");
    auto error = only_error(load(text));
    EXPECT_EQ(error.key_path, "manual_sas[0].key_hex");
    EXPECT_EQ(error.message, "character 21 is not a hex digit (0-9, a-f, A-F)");

    text = with_replaced(kValidConfig, key, key + "1");
    error = only_error(load(text));
    EXPECT_EQ(error.message, "has an odd number of hex digits (41)");

    text = with_replaced(kValidConfig, key, std::string(130, 'a'));
    error = only_error(load(text));
    EXPECT_EQ(error.message, "is longer than 64 bytes");

    text = with_replaced(kValidConfig, key, "0x" + key.substr(2));
    EXPECT_TRUE(has_error(load(text), "manual_sas[0].key_hex", "character 2 is not a hex digit"));
}

// Manual keys are secrets: a file holding them is refused unless only its owner may read it.
TEST(ConfigManualSas, FileWithKeysMustBeOwnerOnly) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("mcsec-key-mode-" + std::to_string(::getpid()) + ".toml");
    {
        std::ofstream out(path);
        out << kValidConfig;
    }
    ::chmod(path.c_str(), 0644);
    auto result = load_config_file(path);
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.errors().size(), 1U);
    const ConfigError& error = result.errors()[0];
    EXPECT_EQ(error.key_path, "manual_sas[0].key_hex");
    EXPECT_GT(error.line, 0U);
    EXPECT_NE(error.message.find("mode 0644"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("chmod 600"), std::string::npos) << error.message;
    ::chmod(path.c_str(), 0600);
    EXPECT_TRUE(load_config_file(path).ok());
    ::chmod(path.c_str(), 0400);
    EXPECT_TRUE(load_config_file(path).ok());
    std::filesystem::remove(path);
}

TEST(ConfigManualSas, DuplicateSpi) {
    const auto text =
        with_replaced(kValidConfig, "[identity]",
                      "[[groups]]\naddress = \"239.1.1.2\"\npolicy = \"gold\"\n\n[identity]") +
        "\n[[manual_sas]]\ngroup = \"239.1.1.2\"\nspi = 0x1000\n"
        "key_hex = \"ff0102030405060708090a0b0c0d0e0f10111213\"\n";
    const auto error = only_error(load(text));
    expect_position(error, 44, 7);
    EXPECT_EQ(error.key_path, "manual_sas[1].spi");
    EXPECT_EQ(error.message, "SPI 4096 is already used by manual_sas[0]");
}

TEST(ConfigManualSas, TwoSasWithOneKeyAndSaltAreRefused) {
    // Same key and salt under another SPI: the two SAs would share one nonce space.
    const auto text =
        with_replaced(kValidConfig, "[identity]",
                      "[[groups]]\naddress = \"239.1.1.2\"\npolicy = \"gold\"\n\n[identity]") +
        "\n[[manual_sas]]\ngroup = \"239.1.1.2\"\nspi = 0x2000\n"
        "key_hex = \"000102030405060708090a0b0c0d0e0f10111213\"\n";
    const auto error = only_error(load(text));
    expect_position(error, 45, 11);
    EXPECT_EQ(error.key_path, "manual_sas[1].key_hex");
    EXPECT_NE(error.message.find("same key and salt as manual_sas[0]"), std::string::npos)
        << error.message;
    EXPECT_EQ(error.message.find("000102"), std::string::npos) << "never echo key material";
    // Another salt is another nonce space.
    EXPECT_TRUE(load(with_replaced(text, "0e0f10111213\"\n", "0e0f10111214\"\n")).ok());
}

TEST(ConfigManualSas, SpiRange) {
    for (const auto* spi : {"0", "255", "4294967296", "-5"}) {
        const auto text = with_replaced(kValidConfig, "spi = 4096", std::string("spi = ") + spi);
        const auto error = only_error(load(text));
        EXPECT_EQ(error.key_path, "manual_sas[0].spi");
        EXPECT_EQ(error.message, std::string("must be between 256 and 4294967295 (found ") + spi +
                                     "); RFC 4303 reserves 0..255");
    }
    for (const auto* spi : {"256", "4294967295"}) {
        const auto text = with_replaced(kValidConfig, "spi = 4096", std::string("spi = ") + spi);
        EXPECT_TRUE(load(text).ok()) << spi;
    }
}

// --- API behaviour ----------------------------------------------------------------------------

TEST(ConfigErrorFormat, LeavesOutWhatIsUnknown) {
    ConfigError error{
        .file = "a.toml", .line = 3, .column = 5, .key_path = "ports[0].mtu", .message = "bad"};
    EXPECT_EQ(error.to_string(), "a.toml:3:5: ports[0].mtu: bad");
    error.key_path.clear();
    EXPECT_EQ(error.to_string(), "a.toml:3:5: bad");
    error.line = 0;
    error.column = 0;
    EXPECT_EQ(error.to_string(), "a.toml: bad");
}

TEST(ConfigErrorFormat, QuotesOddKeysAndCutsLongValues) {
    auto text = with_replaced(kValidConfig, "sender_id = 7", "sender_id = 7\n\"a.b\\n\" = 1");
    EXPECT_TRUE(has_error(load(text), "instance.\"a.b\\u000A\"", "unknown key"));

    text =
        with_replaced(kValidConfig, "role = \"red\"", "role = \"" + std::string(200, 'r') + "\"");
    const auto error = only_error(load(text));
    EXPECT_LT(error.message.size(), 120U) << error.message;
    EXPECT_NE(error.message.find("...'"), std::string::npos);
}

// toml++ 3.3 reaches __builtin_unreachable() on some non-ASCII characters (upstream #295); the
// loader refuses exactly those before parsing.
TEST(ConfigLoaderApi, RefusesCharactersTheParserMishandles) {
    auto error = only_error(load("\xcc\xaa"));
    expect_position(error, 1, 1);
    EXPECT_EQ(error.message,
              "character U+032A is not supported in mcsec configuration files (the TOML parser "
              "mishandles it); use ASCII");

    const auto text = with_replaced(kValidConfig, "[instance]\n", "[instance]\n# Z\xc3\xbcrich\n");
    error = only_error(load(text));
    expect_position(error, 4, 4);  // columns count characters, as toml++ does
    EXPECT_NE(error.message.find("U+00FC"), std::string::npos);

    // Characters the parser handles correctly stay allowed in comments and strings.
    const auto cjk =
        with_replaced(kValidConfig, "[instance]\n", "[instance]\n# \xe6\x9d\xb1\xe4\xba\xac\n");
    EXPECT_TRUE(load(cjk).ok()) << all_errors(load(cjk));
    const auto bom = "\xef\xbb\xbf" + std::string(kValidConfig);
    EXPECT_TRUE(load(bom).ok()) << all_errors(load(bom));
}

TEST(ConfigLoaderApi, EmptySourceNameGetsAPlaceholder) {
    const auto result = load_config_string("x = ", "");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.errors().front().file, "<config>");
}

TEST(ConfigLoaderApi, GarbageNeverThrows) {
    const std::string inputs[] = {
        std::string("\0\xff\xfe\x01", 4),
        "[[[[[[",
        std::string(10000, '['),
        "a = " + std::string(5000, '[') + std::string(5000, ']'),
        "ports = [" + std::string(3000, '{') + "]",
        "schema_version = 1\nmanual_sas = [1, \"x\", {spi = 1}]\nports = [[]]\n",
        "schema_version = 9223372036854775807\n",
        "schema_version = 1\n[[ports]]\naddresses = [\"\xc3\x28\"]\n",
    };
    for (const auto& input : inputs) {
        const auto result = load_config_string(input, "garbage");
        EXPECT_FALSE(result.ok());
        EXPECT_FALSE(result.errors().empty());
    }
}

TEST(ConfigLoaderApi, ResultCanBeMovedOut) {
    auto result = load(kValidConfig);
    ASSERT_TRUE(result.ok());
    const ApplianceConfig config = std::move(result).config();
    EXPECT_EQ(config.manual_sas[0].key_and_salt.size(), 20U);
}

class ConfigFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        directory_ = std::filesystem::temp_directory_path() /
                     (std::string("mcsec_config_test_") + test->name());
        std::filesystem::remove_all(directory_);
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }

    std::filesystem::path write(const std::string& name, std::string_view text) {
        const auto path = directory_ / name;
        std::ofstream(path, std::ios::binary) << text;
        ::chmod(path.c_str(), 0600);  // they hold manual keys
        return path;
    }

    std::filesystem::path directory_;
};

TEST_F(ConfigFileTest, LoadsFileAndResolvesRelativeIdentityPaths) {
    const auto text = with_replaced(kValidConfig, "\"/etc/mcsec/psk\"", "\"keys/site.psk\"");
    const auto path = write("site.toml", text);
    const auto result = load_config_file(path);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(std::get<PskIdentity>(result.config().identity.credentials).psk_file,
              directory_ / "keys/site.psk");
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
    const auto path = write("broken.toml", without(kValidConfig, "sender_id = 7\n"));
    const auto result = load_config_file(path);
    const auto error = only_error(result);
    EXPECT_EQ(error.to_string(), path.string() + ":3:1: instance.sender_id: missing required key");
}

TEST_F(ConfigFileTest, UnreadableFiles) {
    auto error = only_error(load_config_file(directory_ / "missing.toml"));
    EXPECT_EQ(error.line, 0U);
    EXPECT_NE(error.message.find("cannot open"), std::string::npos) << error.message;

    error = only_error(load_config_file(directory_));
    EXPECT_EQ(error.message, "not a regular file");

    error = only_error(load_config_file("/dev/zero"));
    EXPECT_EQ(error.message, "not a regular file");

    const auto big = write("big.toml", std::string(kMaxConfigFileBytes + 1, '#'));
    error = only_error(load_config_file(big));
    EXPECT_NE(error.message.find("a configuration file may have at most"), std::string::npos);
}

// toml++ 3.3 asserts (or reaches unreachable code) on these headers; the loader must refuse
// them itself with a position, and leave brackets in strings, comments and arrays alone.
TEST(ConfigLoader, MalformedTableHeadersAreRefusedBeforeTheParser) {
    for (const char* header : {"[=]", "[#]", "[[=x]]", "[ +x]", "[\x01]"}) {
        SCOPED_TRACE(header);
        const std::string text = "schema_version = 1\n" + std::string(header) + "\n";
        const ConfigError error = only_error(load(text));
        EXPECT_EQ(error.line, 2u) << error.to_string();
        EXPECT_NE(error.message.find("malformed table header"), std::string::npos);
    }
    // Brackets that are not headers do not trip the guard.
    const std::string text = std::string(kValidConfig) + "\n# [=] in a comment\n";
    EXPECT_TRUE(load(text).ok()) << all_errors(load(text));
}

}  // namespace
}  // namespace mcsec::config
