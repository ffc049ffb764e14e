// The operator API's message layer without sockets: request parsing (strict, never throwing),
// response framing and parsing, and dispatch to the backend with its failures contained.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "api_test_support.hpp"
#include "mcsec/control/api/dispatch.hpp"
#include "mcsec/control/api/request.hpp"
#include "mcsec/control/api/response.hpp"
#include "mcsec/control/api/socket_path.hpp"

namespace mcsec::control::api {
namespace {

Request parsed_ok(std::string_view line) {
    const auto parsed = parse_request(line);
    const auto* request = std::get_if<Request>(&parsed);
    EXPECT_NE(request, nullptr) << line << ": " << std::get<RequestError>(parsed).message;
    return request ? *request : Request{};
}

RequestError parsed_error(std::string_view line) {
    const auto parsed = parse_request(line);
    const auto* error = std::get_if<RequestError>(&parsed);
    EXPECT_NE(error, nullptr) << line << " was accepted";
    return error ? *error : RequestError{};
}

TEST(ApiRequest, EveryShowTarget) {
    const std::pair<const char*, Command> cases[] = {
        {"status", Command::Status}, {"peers", Command::Peers},   {"groups", Command::Groups},
        {"sas", Command::Sas},       {"alarms", Command::Alarms}, {"counters", Command::Counters},
    };
    for (const auto& [what, command] : cases) {
        const std::string line = std::string(R"({"command":"show","what":")") + what + "\"}";
        EXPECT_EQ(parsed_ok(line), (Request{command, std::nullopt})) << line;
        EXPECT_EQ(to_string(command), what);
    }
}

TEST(ApiRequest, RekeyWithAndWithoutGroup) {
    EXPECT_EQ(parsed_ok(R"({"command":"rekey"})"), (Request{Command::Rekey, std::nullopt}));
    EXPECT_EQ(parsed_ok(R"({"command":"rekey","group":null})"),
              (Request{Command::Rekey, std::nullopt}));
    EXPECT_EQ(parsed_ok(R"({"command":"rekey","group":"ff0e::1:2"})"),
              (Request{Command::Rekey, std::string("ff0e::1:2")}));
}

TEST(ApiRequest, ToleratesWhitespaceAndCarriageReturn) {
    EXPECT_EQ(parsed_ok(" { \"what\" : \"peers\", \"command\" : \"show\" } \r").command,
              Command::Peers);
}

TEST(ApiRequest, MalformedJsonIsBadRequest) {
    for (const char* line : {"", "{", "not json", "{\"command\":\"show\",}", "[1,2",
                             "{\"command\":\"show\"} trailing", "// comment\n{}", "\xff\xfe"}) {
        const auto error = parsed_error(line);
        EXPECT_EQ(error.code, ErrorCode::BadRequest) << line;
        EXPECT_EQ(error.message, "request is not valid JSON") << line;
    }
}

TEST(ApiRequest, NulByteEndsNothing) {
    // nlohmann would stop reading at the NUL and accept the object before it.
    const std::string line("{\"command\":\"show\",\"what\":\"peers\"}\0junk", 38);
    EXPECT_EQ(parsed_error(line).code, ErrorCode::BadRequest);
}

TEST(ApiRequest, WrongShapesAreBadRequests) {
    const char* lines[] = {
        R"([])",
        R"("show")",
        R"({})",
        R"({"command":42})",
        R"({"command":"show"})",
        R"({"command":"show","what":7})",
        R"({"command":"show","what":"peers","verbose":true})",
        R"({"command":"show","what":"peers","group":"239.1.1.1"})",
        R"({"command":"rekey","group":5})",
        R"({"command":"rekey","group":""})",
        R"({"command":"rekey","grup":"239.1.1.1"})",
    };
    for (const char* line : lines)
        EXPECT_EQ(parsed_error(line).code, ErrorCode::BadRequest) << line;
}

TEST(ApiRequest, OverlongGroupIsRefused) {
    const std::string group(kMaxGroupLength + 1, 'g');
    EXPECT_EQ(parsed_error(R"({"command":"rekey","group":")" + group + "\"}").code,
              ErrorCode::BadRequest);
    const std::string fits(kMaxGroupLength, 'g');
    EXPECT_EQ(parsed_ok(R"({"command":"rekey","group":")" + fits + "\"}").group, fits);
}

TEST(ApiRequest, UnknownCommandAndTargetSayWhatExists) {
    const auto command = parsed_error(R"({"command":"reboot"})");
    EXPECT_EQ(command.code, ErrorCode::UnknownCommand);
    EXPECT_EQ(command.message, "unknown command 'reboot' (show, rekey, revoke, lkh-register)");
    const auto target = parsed_error(R"({"command":"show","what":"keys"})");
    EXPECT_EQ(target.code, ErrorCode::UnknownCommand);
    EXPECT_NE(target.message.find("status, peers, groups, sas, alarms, counters"),
              std::string::npos);
}

TEST(ApiRequest, LkhRequestsNeedTheirMembers) {
    EXPECT_EQ(parsed_ok(R"({"command":"show","what":"receivers","group":"239.1.1.1"})"),
              (Request{Command::Receivers, std::string("239.1.1.1")}));
    EXPECT_EQ(parsed_ok(R"({"command":"revoke","group":"239.1.1.1","node":"rx-7"})"),
              (Request{Command::Revoke, std::string("239.1.1.1"), std::string("rx-7")}));
    EXPECT_EQ(parsed_ok(R"({"command":"lkh-register","group":"239.1.1.1"})"),
              (Request{Command::LkhRegister, std::string("239.1.1.1")}));
    // Each refusal names what is wrong; none is taken as "every group".
    for (const char* line : {
             R"({"command":"show","what":"receivers"})",
             R"({"command":"show","what":"peers","group":"239.1.1.1"})",
             R"({"command":"revoke","group":"239.1.1.1"})",
             R"({"command":"revoke","node":"rx-7"})",
             R"({"command":"revoke","group":"239.1.1.1","node":""})",
             R"({"command":"revoke","group":"239.1.1.1","node":7})",
             R"({"command":"revoke","group":"239.1.1.1","node":"rx-7","all":true})",
             R"({"command":"lkh-register"})",
         }) {
        EXPECT_EQ(parsed_error(line).code, ErrorCode::BadRequest) << line;
    }
    const std::string long_node(33, 'n');
    EXPECT_EQ(parsed_error(R"({"command":"revoke","group":"g","node":")" + long_node + "\"}").code,
              ErrorCode::BadRequest);
    for (const Request& request : {Request{Command::Receivers, std::string("g")},
                                   Request{Command::Revoke, std::string("g"), std::string("n")},
                                   Request{Command::LkhRegister, std::string("g")}}) {
        EXPECT_EQ(parsed_ok(encode_request(request).dump()), request);
    }
}

TEST(ApiRequest, ErrorMessagesDoNotEchoLongInput) {
    const std::string name(1000, 'x');
    const auto error = parsed_error(R"({"command":")" + name + "\"}");
    EXPECT_LT(error.message.size(), 100u);
}

TEST(ApiRequest, EncodeParsesBack) {
    for (const Request& request :
         {Request{Command::Status, {}}, Request{Command::Peers, {}}, Request{Command::Groups, {}},
          Request{Command::Sas, {}}, Request{Command::Alarms, {}}, Request{Command::Counters, {}},
          Request{Command::Rekey, {}}, Request{Command::Rekey, std::string("239.1.1.1")}}) {
        EXPECT_EQ(parsed_ok(encode_request(request).dump()), request);
    }
    EXPECT_EQ(encode_request(Request{Command::Sas, {}}).dump(),
              R"({"command":"show","what":"sas"})");
}

TEST(ApiResponse, FramingIsOneLine) {
    const std::string line = to_line(ok_response(Json{{"text", "two\nlines"}}));
    EXPECT_EQ(line, "{\"ok\":true,\"result\":{\"text\":\"two\\nlines\"}}\n");
    EXPECT_EQ(to_line(error_response(ErrorCode::TooLarge, "too big")),
              "{\"code\":\"too_large\",\"error\":\"too big\",\"ok\":false}\n");
}

TEST(ApiResponse, InvalidUtf8FromBackendIsReplacedNotThrown) {
    std::string line;
    EXPECT_NO_THROW(line = to_line(ok_response(Json("bad \xff byte"))));
    EXPECT_NE(line.find("bad \xEF\xBF\xBD byte"), std::string::npos);  // U+FFFD
}

TEST(ApiResponse, ParseResponse) {
    std::string error;
    auto ok = parse_response("{\"ok\":true,\"result\":[1,2]}\n", error);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->ok);
    EXPECT_EQ(ok->result, Json::array({1, 2}));
    auto refused = parse_response(R"({"ok":false,"code":"rejected","error":"no"})", error);
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->ok);
    EXPECT_EQ(refused->code, "rejected");
    EXPECT_EQ(refused->error, "no");
    for (const char* bad : {"", "[]", R"({"result":1})", R"({"ok":"yes"})", R"({"ok":true})"}) {
        EXPECT_FALSE(parse_response(bad, error)) << bad;
        EXPECT_FALSE(error.empty());
    }
}

TEST(ApiDispatch, CallsTheMatchingBackendFunction) {
    test::FakeBackend backend;
    EXPECT_EQ(dispatch(backend, {Command::Status, {}})["result"], backend.status());
    EXPECT_EQ(dispatch(backend, {Command::Peers, {}})["result"], backend.peers());
    EXPECT_EQ(dispatch(backend, {Command::Groups, {}})["result"], backend.groups());
    EXPECT_EQ(dispatch(backend, {Command::Sas, {}})["result"], backend.sas());
    EXPECT_EQ(dispatch(backend, {Command::Alarms, {}})["result"], backend.alarms());
    EXPECT_EQ(dispatch(backend, {Command::Counters, {}})["result"], backend.counters());
    EXPECT_EQ(dispatch(backend, {Command::Rekey, std::string("239.1.1.2")})["result"],
              (Json{{"started", {"239.1.1.2"}}}));
    EXPECT_EQ(backend.last_rekey_group(), "239.1.1.2");
}

TEST(ApiDispatch, BackendExceptionsBecomeErrorResponses) {
    test::FakeBackend backend;
    EXPECT_EQ(dispatch(backend, {Command::Rekey, std::string("239.9.9.9")}),
              error_response(ErrorCode::Rejected, "no protected group 239.9.9.9"));
    EXPECT_EQ(dispatch(backend, {Command::Rekey, std::string("boom")}),
              error_response(ErrorCode::Internal, "rekey failed: keying engine exploded"));
}

TEST(ApiDispatch, HandleRequestLineAnswersEveryInput) {
    test::FakeBackend backend;
    EXPECT_EQ(handle_request_line(backend, R"({"command":"show","what":"counters"})"),
              to_line(ok_response(backend.counters())));
    EXPECT_EQ(handle_request_line(backend, "{"),
              to_line(error_response(ErrorCode::BadRequest, "request is not valid JSON")));
}

// Every seed of the fuzz corpus parses to a request or an error without throwing, and the
// valid ones are really valid (the corpus covers both paths).
TEST(ApiDispatch, FuzzCorpusSeeds) {
    test::FakeBackend backend;
    int accepted = 0, refused = 0;
    for (const auto& entry : std::filesystem::directory_iterator(MCSEC_API_CORPUS_DIR)) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        const auto parsed = parse_request(bytes);
        (std::holds_alternative<Request>(parsed) ? accepted : refused)++;
        std::string error;
        EXPECT_TRUE(parse_response(handle_request_line(backend, bytes), error)) << entry.path();
    }
    EXPECT_GE(accepted, 5);
    EXPECT_GE(refused, 5);
}

TEST(ApiSocketPath, DefaultIsUnderRun) {
    EXPECT_EQ(default_socket_path("site-a"), std::filesystem::path("/run/mcsec/site-a.sock"));
}

}  // namespace
}  // namespace mcsec::control::api
