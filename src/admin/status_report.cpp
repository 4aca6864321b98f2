#include "admin/status_report.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

namespace casserole::admin {
namespace {

using Kind = casserole::http::CacheStatus::Kind;

// Objects listed as taking the most room, and how many segments' keys are looked up at most to
// find them: a status page refreshing every few seconds must not stall the I/O thread.
constexpr std::size_t kTopObjects = 10;
constexpr std::uint64_t kMaxSegmentsExamined = 200000;

std::string utc(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

boost::json::object node_part(const NodeState& node) {
  boost::json::array reasons;
  for (auto& reason : not_ready_because(node)) reasons.emplace_back(reason);
  const auto now = std::chrono::system_clock::now();
  return {
      {"version", CASSEROLE_VERSION},
      {"address", node.address},
      {"peering_address", node.peering_address.empty() ? boost::json::value()
                                                       : boost::json::value(node.peering_address)},
      {"started", utc(node.started)},
      {"uptime_seconds", std::chrono::duration<double>(now - node.started).count()},
      {"ready", reasons.empty()},
      {"not_ready_because", std::move(reasons)},
  };
}

boost::json::object traffic_part(const NodeState& node) {
  const auto& stats = node.clients.stats();
  std::array<std::uint64_t, server::ServerStats::kCacheKinds> by_kind{};
  for (const auto& method : stats.requests) {
    for (const auto& status_class : method) {
      for (int k = 0; k < server::ServerStats::kCacheKinds; ++k) by_kind[k] += status_class[k];
    }
  }
  std::uint64_t requests = 0;
  boost::json::object by_status;
  for (int k = 0; k < server::ServerStats::kCacheKinds; ++k) {
    requests += by_kind[k];
    by_status[casserole::http::to_string(static_cast<Kind>(k))] = by_kind[k];
  }
  const std::uint64_t hits = by_kind[static_cast<int>(Kind::hit)];
  const std::uint64_t considered = requests - by_kind[static_cast<int>(Kind::none)];
  std::uint64_t served = 0;
  boost::json::object by_source;
  for (int s = 0; s < server::Exchange::kSources; ++s) {
    served += stats.sent_bytes[s];
    by_source[server::source_name(s)] = stats.sent_bytes[s];
  }
  const std::uint64_t upstream = node.upstream.stats().received_bytes;
  return {
      {"requests", requests},
      {"hits", hits},
      {"hit_ratio",
       considered == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(considered)},
      {"bytes_served", served},
      {"upstream_bytes", upstream},
      {"upstream_saving", upstream == 0 ? boost::json::value()
                                        : boost::json::value(static_cast<double>(served) /
                                                             static_cast<double>(upstream))},
      {"bytes_by_source", std::move(by_source)},
      {"requests_by_cache_status", std::move(by_status)},
  };
}

boost::json::object memory_part(const NodeState& node) {
  const std::uint64_t segments = segments_in_memory(node);
  return {{"used_bytes", node.memory.used()},
          {"max_bytes", node.memory.limit()},
          {"segments", segments}};
}

boost::json::value disk_part(const NodeState& node) {
  if (!node.disk) return nullptr;
  return boost::json::object{{"used_bytes", node.disk->usage()},
                             {"max_bytes", node.disk->options().max_usage},
                             {"cleaned_bytes", node.disk->options().cleaned_usage},
                             {"entries", node.disk->entries()},
                             {"indexed", node.disk->indexed()}};
}

boost::json::value cluster_part(const NodeState& node) {
  if (!node.peers || !node.membership) return nullptr;
  const cluster::Peers& peers = node.peers->peers();
  boost::json::array members;
  for (const auto& member : peers.ring().members()) {
    members.emplace_back(boost::json::object{
        {"address", member},
        {"self", member == peers.self()},
        {"state", peers.suspected(member) ? "suspect" : "up"},
    });
  }
  return boost::json::object{{"self", peers.self()},
                             {"registered", node.membership->registered()},
                             {"members", std::move(members)}};
}

boost::json::array fetches_part(const NodeState& node) {
  boost::json::array fetches;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& fetch : node.segments.fetches()) {
    auto segment = fetch.segment.lock();
    if (!segment) continue;
    fetches.emplace_back(boost::json::object{
        {"target", fetch.target},
        {"segment", fetch.index},
        {"from", cache::to_string(fetch.from)},
        {"filled_bytes", segment->filled()},
        {"size_bytes", segment->size()},
        {"seconds", std::chrono::duration<double>(now - fetch.started).count()},
    });
  }
  return fetches;
}

boost::json::array top_objects_part(const NodeState& node) {
  struct Object {
    std::string target;
    mirror::SegmentSource::Usage usage;
  };
  std::vector<Object> objects;
  std::uint64_t examined = 0;
  const std::uint64_t segment_size = node.segments.segment_size();
  for (auto& [target, meta] : node.directory.held_objects()) {
    examined += (*meta->length() + segment_size - 1) / segment_size;
    if (examined > kMaxSegmentsExamined) break;
    auto usage = node.segments.usage(target, meta);
    if (usage.segments > 0) objects.push_back({target, usage});
  }
  const auto bytes = [](const Object& o) { return o.usage.memory_bytes + o.usage.disk_bytes; };
  const std::size_t listed = std::min(objects.size(), kTopObjects);
  std::partial_sort(objects.begin(), objects.begin() + static_cast<std::ptrdiff_t>(listed),
                    objects.end(),
                    [&](const Object& a, const Object& b) { return bytes(a) > bytes(b); });
  boost::json::array top;
  for (std::size_t i = 0; i < listed; ++i) {
    const Object& o = objects[i];
    top.emplace_back(boost::json::object{{"target", o.target},
                                         {"bytes", bytes(o)},
                                         {"memory_bytes", o.usage.memory_bytes},
                                         {"disk_bytes", o.usage.disk_bytes},
                                         {"segments", o.usage.segments}});
  }
  return top;
}

}  // namespace

std::string render_status(const NodeState& node) {
  return boost::json::serialize(boost::json::object{
      {"node", node_part(node)},
      {"traffic", traffic_part(node)},
      {"memory", memory_part(node)},
      {"disk", disk_part(node)},
      {"cluster", cluster_part(node)},
      {"fetches", fetches_part(node)},
      {"top_objects", top_objects_part(node)},
  });
}

}  // namespace casserole::admin
