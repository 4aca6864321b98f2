// The vocabulary shared by the fault origin and its test-side driver: what an object does
// (ObjectSpec) and what the origin records of each request (LoggedRequest), with their JSON
// forms on the control API. Every member has an initializer, so designated initializers may
// name only what a test cares about.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Declared, not included: most users of this header never touch JSON, and Boost.JSON's headers
// are a large part of a test file's compile time.
namespace boost::json {
class object;
class value;
}  // namespace boost::json

namespace casserole::test {

struct ObjectSpec {
  std::uint64_t size = 0;
  std::uint64_t seed = 1;  // the body is the pattern (pattern.hpp) for this seed
  // Sent verbatim on HEAD and GET. A Date here replaces the origin's own; an Accept-Ranges here
  // replaces the one it adds when it honours Range.
  std::vector<std::pair<std::string, std::string>> headers{};
  // Sent on GET answers only, after `headers`: what a ranged answer may say that its HEAD did not.
  std::vector<std::pair<std::string, std::string>> get_headers{};
  // Interim (1xx) answers sent before every final answer to an HTTP/1.1 request, each followed
  // by a short pause so that a reader that stops at the first one is caught.
  std::vector<int> interim{};
  int status = 200;     // not 200: that status with the body, no conditionals, no ranges
  int head_status = 0;  // not 0: HEAD answers this status, empty (an object store's 403)
  // Not empty: a request whose target lacks this text (a signature) is answered 403.
  std::string required_query{};
  bool honor_range = true;
  bool head_content_length = true;
  bool chunked = false;                              // GET bodies chunked, without Content-Length
  std::chrono::milliseconds first_byte_delay{0};     // before GET response headers
  std::chrono::milliseconds head_delay{0};           // before HEAD responses
  std::uint64_t bytes_per_second = 0;                // 0: unthrottled
  std::optional<std::uint64_t> stall_after_bytes{};  // then silence until the client leaves
  std::optional<std::uint64_t> close_after_bytes{};  // then the connection is closed (FIN)
  // After this many GETs (of any kind) the object becomes version 2: seed + 1, ETag "x" ->
  // "x-2", Last-Modified one hour later. 0: never.
  std::uint64_t change_after_gets = 0;
  std::optional<std::uint64_t> changed_size{};  // version 2's size; none: the same as version 1
};

// One request as the origin received it; absent headers are "".
struct LoggedRequest {
  std::string method{};
  std::string target{};
  std::string range{};
  std::string if_match{};
  std::string if_unmodified_since{};
  std::string if_none_match{};
  std::string if_modified_since{};
  std::string authorization{};
};

std::string to_json(const ObjectSpec& spec);
// Throws std::invalid_argument (or boost::system::system_error for bad JSON) naming the problem.
ObjectSpec parse_object_spec(std::string_view json);

boost::json::object to_json(const LoggedRequest& request);
LoggedRequest parse_logged_request(const boost::json::value& json);

}  // namespace casserole::test
