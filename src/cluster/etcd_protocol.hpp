// The etcd v3 JSON gateway (etcd 3.4: POST /v3/...) as pure functions: the request bodies the
// membership sends and the answers it reads. In that JSON, keys and values are base64 and int64s
// are strings; an answer may instead be an error, {"error":...,"code":N} with N a gRPC status
// code, which every parser throws as an etcd::Error. So does an answer that is not what etcd
// sends (kMalformed). A watch answers with a stream of messages, one JSON object per line.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace casserole::cluster::etcd {

class Error : public std::runtime_error {
 public:
  // gRPC status codes etcd uses, and one of ours.
  static constexpr int kDeadlineExceeded = 4;  // e.g. "etcdserver: request timed out"
  static constexpr int kNotFound = 5;          // e.g. "etcdserver: requested lease not found"
  static constexpr int kUnavailable = 14;      // e.g. a member without a leader
  static constexpr int kMalformed = -1;        // not an answer etcd sends

  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  // The endpoint that answered cannot serve us now, though another member might.
  bool endpoint_failed() const {
    return code_ == kDeadlineExceeded || code_ == kUnavailable || code_ == kMalformed;
  }

 private:
  int code_;
};

struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t mod_revision = 0;
};

struct Range {
  std::int64_t revision = 0;  // of the store when it was read
  std::vector<KeyValue> kvs;
};

struct Lease {
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // seconds, as granted (etcd may raise what was asked for)
};

struct Event {
  enum class Type { put, remove };
  Type type = Type::put;
  KeyValue kv;  // a removal carries only the key and its mod_revision
};

struct WatchMessage {
  std::int64_t revision = 0;  // of the store when the message was sent; 0 if not given
  bool created = false;
  // The watch has ended (the stream stays open). With compact_revision > 0, its start revision
  // had been compacted away.
  bool canceled = false;
  std::int64_t compact_revision = 0;
  std::vector<Event> events;
};

// The end of the key range holding every key that starts with `prefix`.
std::string prefix_end(std::string_view prefix);

std::string grant_request(std::int64_t ttl);
std::string keep_alive_request(std::int64_t lease);
std::string revoke_request(std::int64_t lease);
std::string put_request(std::string_view key, std::string_view value, std::int64_t lease);
std::string range_prefix_request(std::string_view prefix);
std::string watch_prefix_request(std::string_view prefix, std::int64_t start_revision);

Lease parse_grant(std::string_view answer);
// The lease's remaining TTL in seconds; 0 when etcd does not know the lease (any more): its
// answer then has no TTL.
std::int64_t parse_keep_alive(std::string_view answer);
// The revision the store is at after the call (put and revoke answer only with a header).
std::int64_t parse_header_revision(std::string_view answer);
Range parse_range(std::string_view answer);
WatchMessage parse_watch_message(std::string_view line);

}  // namespace casserole::cluster::etcd
