// End to end: the mcsecctl binary against an operator API server with a fake backend, checking
// what an operator sees (tables, --json, exit statuses), plus the table formatting on its own.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "../../tools/mcsecctl/json_table.hpp"
#include "api_test_support.hpp"

namespace mcsec::control::api {
namespace {

struct CliRun {
    int status = -1;
    std::string output;  // stdout and stderr
};

CliRun run_mcsecctl(const std::string& arguments) {
    const std::string command = std::string(MCSECCTL_PATH) + " " + arguments + " 2>&1";
    CliRun run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    std::array<char, 4096> chunk{};
    while (const auto n = std::fread(chunk.data(), 1, chunk.size(), pipe)) {
        run.output.append(chunk.data(), n);
    }
    const int wait_status = ::pclose(pipe);
    run.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    return run;
}

OperatorServerOptions options_for(const std::filesystem::path& socket) {
    OperatorServerOptions options;
    options.socket_path = socket;
    return options;
}

class ApiMcsecctl : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string error;
        ASSERT_TRUE(server_.start(error)) << error;
    }
    CliRun mcsecctl(const std::string& arguments) {
        return run_mcsecctl("--socket " + socket_.string() + " " + arguments);
    }

    test::TempDir dir_;
    std::filesystem::path socket_ = dir_.path() / "site-a.sock";
    test::FakeBackend backend_;
    test::ServerThread server_{backend_, options_for(socket_)};
};

TEST_F(ApiMcsecctl, ShowStatusListsFields) {
    const auto run = mcsecctl("show status");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("instance:         site-a\n"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("keying:           mike\n"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("groups keyed:     1\n"), std::string::npos) << run.output;
}

TEST_F(ApiMcsecctl, ShowPeersIsATable) {
    const auto run = mcsecctl("show peers");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_EQ(run.output,
              "node    state  black address  last heard  prefixes\n"
              "site-b  up     192.0.2.2      0.4s        10.2.0.0/16\n"
              "site-c  down   192.0.2.3      12.5s       -\n");
}

TEST_F(ApiMcsecctl, ShowGroupsAndAlarms) {
    const auto groups = mcsecctl("show groups");
    EXPECT_EQ(groups.status, 0) << groups.output;
    EXPECT_NE(groups.output.find("239.1.1.1  -       keyed  tm    tm_stable  site-a  7      2    "
                                 "    0x00001234  60.0s"),
              std::string::npos)
        << groups.output;
    const auto alarms = mcsecctl("show alarms");
    EXPECT_EQ(alarms.status, 0) << alarms.output;
    EXPECT_NE(alarms.output.find("SIGN_FAILED  local   239.1.1.1  site-c  0x00000000  bad "
                                 "signature"),
              std::string::npos)
        << alarms.output;
}

TEST_F(ApiMcsecctl, ShowSasIsATable) {
    const auto run = mcsecctl("show sas");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_EQ(run.output,
              "group      spi         direction  state   epoch  sender id  slot  installed\n"
              "239.1.1.1  0x00001234  outbound   active  7      1          0     60.0s\n");
}

TEST_F(ApiMcsecctl, ShowControlCountersListsTheNonZeroOnesByPath) {
    const auto run = mcsecctl("show control-counters");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_EQ(run.output,
              "hello_verdicts.accepted  120\n"
              "hello_verdicts.replay  2\n"
              "unknown_datagrams  3\n");
}

TEST_F(ApiMcsecctl, JsonIsTheResultVerbatim) {
    for (const auto& [what, expected] :
         {std::pair{"status", backend_.status()}, std::pair{"peers", backend_.peers()},
          std::pair{"groups", backend_.groups()}, std::pair{"alarms", backend_.alarms()},
          std::pair{"sas", backend_.sas()}, std::pair{"control-counters", backend_.counters()}}) {
        const auto run = mcsecctl(std::string("show ") + what + " --json");
        EXPECT_EQ(run.status, 0) << run.output;
        EXPECT_EQ(Json::parse(run.output, nullptr, false), expected) << run.output;
    }
}

TEST_F(ApiMcsecctl, Rekey) {
    const auto all = mcsecctl("rekey");
    EXPECT_EQ(all.status, 0) << all.output;
    EXPECT_EQ(all.output, "rekey started: 239.1.1.1\n");
    EXPECT_EQ(backend_.last_rekey_group(), std::nullopt);

    const auto one = mcsecctl("rekey --group 239.1.1.2 --json");
    EXPECT_EQ(one.status, 0) << one.output;
    EXPECT_EQ(Json::parse(one.output, nullptr, false), (Json{{"started", {"239.1.1.2"}}}));
    EXPECT_EQ(backend_.last_rekey_group(), "239.1.1.2");

    EXPECT_EQ(mcsecctl("rekey 239.1.1.3").status, 0);
    EXPECT_EQ(backend_.last_rekey_group(), "239.1.1.3");

    const auto refused = mcsecctl("rekey 239.9.9.9");
    EXPECT_EQ(refused.status, 1);
    EXPECT_EQ(refused.output,
              "mcsecctl: mcsec-controld refused rekey: no protected group 239.9.9.9\n");

    EXPECT_EQ(mcsecctl("rekey 239.1.1.1 --group 239.1.1.1").status, 2);
}

TEST(ApiMcsecctlNotRunning, ExitStatus3WithAClearMessage) {
    test::TempDir dir;
    const auto socket = dir.path() / "gone.sock";
    const auto run =
        run_mcsecctl("--instance site-z --socket " + socket.string() + " show peers --json");
    EXPECT_EQ(run.status, 3);
    EXPECT_EQ(run.output,
              "mcsecctl: mcsec-controld is not running for instance site-z (no "
              "socket at " +
                  socket.string() + "); counters and SAs: mcsecctl show counters|sa\n");
    EXPECT_EQ(run_mcsecctl("--socket " + socket.string() + " rekey").status, 3);
}

TEST(ApiMcsecctlNotRunning, NeedsATarget) {
    EXPECT_EQ(run_mcsecctl("show status").status, 2);
}

TEST(ApiJsonTable, RendersValuesForTerminals) {
    EXPECT_EQ(ctl::render_value(Json()), "-");
    EXPECT_EQ(ctl::render_value(Json("a\x1b[31mred")), "a?[31mred");
    EXPECT_EQ(ctl::render_value(Json(true)), "yes");
    EXPECT_EQ(ctl::render_value(Json::array({"a", 1})), "a,1");
    EXPECT_EQ(ctl::render_value(Json::object({{"k", 1}})), "{\"k\":1}");
    EXPECT_EQ(ctl::render_hex32(Json(0xabcdu)), "0x0000abcd");
    EXPECT_EQ(ctl::render_hex32(Json("n/a")), "n/a");
    EXPECT_EQ(ctl::render_count(Json::array({1, 2, 3})), "3");
    EXPECT_EQ(ctl::render_ms(Json(1250)), "1.2s");
}

TEST(ApiJsonTable, MissingMembersAndExtraFields) {
    static constexpr ctl::Column kColumns[] = {{"a", "a"}, {"long header", "b"}};
    EXPECT_EQ(ctl::format_table(Json::array({{{"a", "x"}}, Json("not an object")}), kColumns),
              "a  long header\n"
              "x  -\n"
              "-  -\n");
    EXPECT_EQ(ctl::format_fields(Json{{"b", 2}, {"zz", "extra"}}, kColumns),
              "a:           -\n"
              "long header: 2\n"
              "zz:          extra\n");
}

}  // namespace
}  // namespace mcsec::control::api
